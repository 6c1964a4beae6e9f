package io.reactivesmtp.cli;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.reactor.DnsMxResolver;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * {@code bulk --mx}: looks up the MX hosts (and the first host's addresses) of the recipient domains of messages
 * read ahead, while the messages before them are being sent, so that a message finds its route in the resolver's
 * caches instead of waiting for DNS inside one of the {@code --concurrency} slots. With a recipient list sorted by
 * domain, every slot otherwise waited for the next domain's lookups one domain after the other.
 *
 * <p>A warm-up only: the answer (or failure) a send acts on is its own lookup's, which hits the cache or asks again
 * (an error here is dropped; the send reports its own). At most one lookup per domain among the last
 * {@value #REMEMBERED} domains seen; lookups in flight are bounded by the read-ahead, which stops reading while the
 * sender is behind. Lookups still in flight when the run ends are cancelled by {@link #close()}.
 */
final class MxPrefetch implements AutoCloseable {

    static final int REMEMBERED = 4096;
    private final DnsMxResolver resolver;
    /** Domains already looked up (recently), oldest first; guarded by itself. */
    private final Map<String, Disposable> seen = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Disposable> eldest) {
            return size() > REMEMBERED;
        }
    };
    private boolean closed;

    MxPrefetch(DnsMxResolver resolver) {
        this.resolver = resolver;
    }

    /** Starts the lookups for the recipient domains of {@code envelope} not looked up recently. */
    void ahead(Envelope envelope) {
        for (MailAddress r : envelope.recipients()) {
            domain(r.asciiDomain().toLowerCase(Locale.ROOT));
        }
    }

    private void domain(String domain) {
        synchronized (seen) {
            if (closed || seen.containsKey(domain)) {
                return;
            }
            seen.put(domain, Disposables.disposed()); // taken before the lookup starts: one lookup per domain
        }
        Mono<?> lookup;
        try {
            lookup = resolver.resolve(domain).flatMap(hosts -> hosts.isEmpty() ? Mono.empty()
                    : resolver.resolveAddresses(hosts.get(0).host()));
        } catch (IllegalArgumentException invalid) {
            return; // the send says what is wrong with the domain
        }
        Disposable d = lookup.subscribe(v -> { }, e -> { });
        synchronized (seen) {
            if (closed) {
                d.dispose();
            } else {
                seen.replace(domain, d);
            }
        }
    }

    /** @return how many domains are remembered as looked up (for tests) */
    int remembered() {
        synchronized (seen) {
            return seen.size();
        }
    }

    /** Cancels the lookups still in flight; later calls to {@link #ahead} do nothing. */
    @Override
    public void close() {
        synchronized (seen) {
            closed = true;
            seen.values().forEach(Disposable::dispose);
            seen.clear();
        }
    }
}
