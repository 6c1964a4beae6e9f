package io.reactivesmtp.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A minimal SMTP sink with STARTTLS, for the memory benchmarks (Postfix's smtp-sink has no STARTTLS). Run it in its
 * own JVM so that its heap is not the client's:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.SinkServer PORT [CA_PEM_OUT] [--threads N]
 * </pre>
 * At start it generates a throw-away CA and a server certificate for {@code localhost} and {@code 127.0.0.1} signed by
 * it (EC P-256, Bouncy Castle), writes the CA certificate as PEM to {@code CA_PEM_OUT} (default
 * {@code /tmp/reactive-smtp-sink-ca.pem}) for the client's trust, listens on 127.0.0.1:PORT and prints
 * {@code listening port=PORT ca=CA_PEM_OUT} when it is ready.
 *
 * <p>It greets, answers EHLO with PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES and (before TLS) STARTTLS, accepts every
 * MAIL, RCPT and message (DATA, the content discarded line by line), answers RSET, NOOP and QUIT, and replies to
 * pipelined commands in order, flushing once per read. Idle connections are kept forever. The TLS side is
 * OpenSSL when netty-tcnative loads (it is on the benchmarks' class path), the JDK's otherwise.
 */
public final class SinkServer {

    private SinkServer() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 1;
        String caOut = "/tmp/reactive-smtp-sink-ca.pem";
        Integer port = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads")) {
                threads = Integer.parseInt(args[++i]);
            } else if (port == null) {
                port = Integer.parseInt(args[i]);
            } else {
                caOut = args[i];
            }
        }
        if (port == null) {
            System.err.println("usage: SinkServer PORT [CA_PEM_OUT] [--threads N]");
            System.exit(2);
            return;
        }
        SslContext tls = selfSignedServerContext(Path.of(caOut));
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        AtomicLong open = new AtomicLong();
        Channel server = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        open.incrementAndGet();
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline().addLast("lines", new LineBasedFrameDecoder(1 << 20, true, false));
                        ch.pipeline().addLast("smtp", new SmtpHandler(tls));
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
        System.out.println("listening port=" + port + " ca=" + caOut + " tls=" + tls.getClass().getSimpleName());
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }));
        server.closeFuture().sync();
    }

    /** One connection's SMTP state. */
    private static final class SmtpHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final SslContext tls;
        private boolean inData;
        private boolean secure;
        private boolean pending;

        SmtpHandler(SslContext tls) {
            this.tls = tls;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(ascii("220 localhost ESMTP reactive-smtp benchmark sink\r\n"));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            if (inData) {
                if (line.readableBytes() == 1 && line.getByte(line.readerIndex()) == '.') {
                    inData = false;
                    reply(ctx, "250 2.0.0 Ok: queued\r\n");
                }
                return;
            }
            String command = line.toString(StandardCharsets.US_ASCII);
            int space = command.indexOf(' ');
            String verb = (space < 0 ? command : command.substring(0, space)).toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO":
                    reply(ctx, "250-localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                            + (secure ? "" : "250-STARTTLS\r\n") + "250 ENHANCEDSTATUSCODES\r\n");
                    break;
                case "HELO":
                    reply(ctx, "250 localhost\r\n");
                    break;
                case "MAIL":
                    reply(ctx, "250 2.1.0 Ok\r\n");
                    break;
                case "RCPT":
                    reply(ctx, "250 2.1.5 Ok\r\n");
                    break;
                case "DATA":
                    inData = true;
                    reply(ctx, "354 End data with <CR><LF>.<CR><LF>\r\n");
                    break;
                case "RSET":
                case "NOOP":
                    reply(ctx, "250 2.0.0 Ok\r\n");
                    break;
                case "STARTTLS":
                    if (secure) {
                        reply(ctx, "503 5.5.1 Error: TLS already active\r\n");
                        break;
                    }
                    // The 220 goes out in plaintext before the TLS handler is first in the pipeline; the client
                    // sends nothing until it has read it, so its ClientHello meets the handler.
                    ctx.writeAndFlush(ascii("220 2.0.0 Ready to start TLS\r\n"));
                    pending = false;
                    SslHandler handler = tls.newHandler(ctx.alloc());
                    handler.setHandshakeTimeoutMillis(60_000);
                    ctx.pipeline().addFirst("tls", handler);
                    secure = true;
                    break;
                case "QUIT":
                    ctx.writeAndFlush(ascii("221 2.0.0 Bye\r\n")).addListener(ChannelFutureListener.CLOSE);
                    pending = false;
                    break;
                default:
                    reply(ctx, "502 5.5.2 Error: command not recognized\r\n");
                    break;
            }
        }

        private void reply(ChannelHandlerContext ctx, String text) {
            ctx.write(ascii(text));
            pending = true;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (pending) {
                pending = false;
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** A CA and a server certificate for localhost/127.0.0.1 signed by it; the CA goes to {@code caOut}. */
    static SslContext selfSignedServerContext(Path caOut) throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair caKeys = gen.generateKeyPair();
        KeyPair serverKeys = gen.generateKeyPair();
        Instant now = Instant.now();
        Date from = Date.from(now.minus(Duration.ofHours(1)));
        Date to = Date.from(now.plus(Duration.ofDays(30)));
        X500Name caName = new X500Name("CN=reactive-smtp benchmark sink CA");

        X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(now.toEpochMilli()),
                from, to, caName, caKeys.getPublic());
        ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        ca.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caCert = toJdk(ca, caKeys.getPrivate());

        X509v3CertificateBuilder server = new JcaX509v3CertificateBuilder(caName,
                BigInteger.valueOf(now.toEpochMilli() + 1), from, to, new X500Name("CN=localhost"),
                serverKeys.getPublic());
        server.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        server.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        server.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate serverCert = toJdk(server, caKeys.getPrivate());

        Path parent = caOut.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(caOut, pem(caCert), StandardCharsets.US_ASCII);
        return SslContextBuilder.forServer(serverKeys.getPrivate(), serverCert, caCert)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    private static X509Certificate toJdk(X509v3CertificateBuilder builder, PrivateKey signer) throws Exception {
        byte[] der = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)).getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(der));
    }

    private static String pem(X509Certificate cert) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }
}
