package io.reactivesmtp.cli;

import io.reactivesmtp.dkim.DkimSigner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The DKIM options shared by {@code send} and {@code bulk}: {@code --dkim-key FILE --dkim-selector SEL
 * --dkim-domain DOMAIN}, a group that may be repeated for several signatures on each message (e.g. an RSA and an
 * Ed25519 key). The algorithm follows the key type. A picocli mixin:
 *
 * <pre>{@code
 * @Mixin
 * private DkimOptions dkim;
 * ...
 * List<DkimSigner> signers = dkim.signers();   // IllegalArgumentException naming the option and the file
 * }</pre>
 *
 * <p>The keys are read and checked when {@link #signers()} is called, before anything is sent; an error names the
 * file and the problem (unreadable, encrypted, not a private key, unsupported type) and never shows key material.
 */
public final class DkimOptions {

    @ArgGroup(exclusive = false, multiplicity = "0..*",
            heading = "%nDKIM signing (repeat the three options for several signatures; the key type decides "
                    + "rsa-sha256 or ed25519-sha256; relaxed/relaxed):%n")
    private List<Signature> signatures = new ArrayList<>();

    /** Creates the mixin; picocli fills in its options. */
    public DkimOptions() {
    }

    /** One signature: its key, selector and domain. */
    static final class Signature {
        @Option(names = "--dkim-key", paramLabel = "FILE", required = true,
                description = "PEM private key: RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8), unencrypted.")
        Path key;

        @Option(names = "--dkim-selector", paramLabel = "SEL", required = true,
                description = "The selector (s=): the public key is published at SEL._domainkey.DOMAIN.")
        String selector;

        @Option(names = "--dkim-domain", paramLabel = "DOMAIN", required = true,
                description = "The signing domain (d=), usually the domain of the From: address.")
        String domain;
    }

    /**
     * Checks that the message file can be signed when signatures are asked for: it must have a From header
     * (reads only the header block).
     *
     * @param option the option that named the file, for the message
     * @param message the message file
     * @throws IllegalArgumentException naming the option and the file
     */
    public void checkMessage(String option, Path message) {
        if (signatures.isEmpty()) {
            return;
        }
        try {
            DkimSigner.checkSignable(message);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + ": cannot be DKIM-signed: "
                    + ReportPrinter.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    /**
     * Reads the keys and builds one signer per group, in the order given.
     *
     * @return the signers; empty without {@code --dkim-key}
     * @throws IllegalArgumentException naming the option and, for a key, the file
     */
    public List<DkimSigner> signers() {
        List<DkimSigner> signers = new ArrayList<>();
        for (Signature s : signatures) {
            DkimSigner.Builder builder = DkimSigner.builder();
            try {
                builder.key(s.key);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--dkim-key: " + ReportPrinter.oneLine(e.getMessage()), e);
            }
            try {
                signers.add(builder.selector(s.selector).domain(s.domain).build());
            } catch (IllegalArgumentException e) {
                String message = e.getMessage().replace("DKIM signer: ", "");
                throw new IllegalArgumentException((message.contains("selector") ? "--dkim-selector: "
                        : "--dkim-domain: ") + ReportPrinter.oneLine(message), e);
            }
        }
        return signers;
    }
}
