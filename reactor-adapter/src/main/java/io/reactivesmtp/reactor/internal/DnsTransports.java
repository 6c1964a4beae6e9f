package io.reactivesmtp.reactor.internal;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NameResolver;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import reactor.netty.resources.LoopResources;

/** DNS sockets of the event loop's own transport (NIO, epoll, kqueue, io_uring), for MX and address lookups. */
public final class DnsTransports {

    /**
     * Finds the channel classes of any event loop reactor-netty supports (NIO, epoll, kqueue, io_uring): the
     * DNS socket must be of the loop's transport. Only its default methods are used: it owns no threads.
     */
    private static final LoopResources TRANSPORTS = useNative -> {
        throw new UnsupportedOperationException("only used to find channel classes");
    };

    private DnsTransports() {
    }

    /**
     * @param template the resolver settings every copy shares (its caches included)
     * @return an address resolver group whose resolvers use the transport of the loop they serve
     */
    public static AddressResolverGroup<InetSocketAddress> addressResolverGroup(DnsNameResolverBuilder template) {
        return new LoopMatchingGroup(template);
    }

    /**
     * @param builder a resolver builder
     * @param loop the loop its socket lives on
     * @param datagramType the UDP channel class, or null for the loop's transport
     * @param socketType the TCP channel class, or null for the loop's transport
     * @return the builder, bound to the loop with channels of its transport
     */
    public static DnsNameResolverBuilder configure(DnsNameResolverBuilder builder, EventLoop loop,
            Class<? extends DatagramChannel> datagramType, Class<? extends SocketChannel> socketType) {
        return builder.eventLoop(loop)
                .datagramChannelType(datagramType != null ? datagramType
                        : channelClass(DatagramChannel.class, loop, NioDatagramChannel.class))
                // TCP for answers too long for UDP (TC bit), e.g. a domain with many MX records.
                .socketChannelType(socketType != null ? socketType
                        : channelClass(SocketChannel.class, loop, NioSocketChannel.class), false);
    }

    private static <C extends io.netty.channel.Channel> Class<? extends C> channelClass(Class<C> type,
            EventLoop loop, Class<? extends C> fallback) {
        try {
            return TRANSPORTS.onChannelClass(type, loop);
        } catch (RuntimeException unknownTransport) {
            // A loop reactor-netty does not know (a custom one): NIO is what the JDK always has.
            return fallback;
        }
    }

    /** A {@link DnsAddressResolverGroup} whose resolvers use the transport of the loop they serve. */
    private static final class LoopMatchingGroup extends DnsAddressResolverGroup {

        private final DnsNameResolverBuilder template;

        LoopMatchingGroup(DnsNameResolverBuilder template) {
            super(template);
            this.template = template;
        }

        @Override
        protected NameResolver<InetAddress> newNameResolver(EventLoop eventLoop,
                ChannelFactory<? extends DatagramChannel> channelFactory,
                DnsServerAddressStreamProvider nameServerProvider) {
            // The template shares its caches (set explicitly in the constructor) with every copy.
            return configure(template.copy(), eventLoop, null, null).build();
        }
    }
}
