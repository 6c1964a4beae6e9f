package io.reactivesmtp.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** The channel side of one scripted connection: hands its events to the {@link ScriptInterpreter}. */
final class ScriptChannelHandler extends ChannelInboundHandlerAdapter {

    private final ScriptInterpreter interpreter;
    private ScriptConnection c;

    ScriptChannelHandler(ScriptInterpreter interpreter) {
        this.interpreter = interpreter;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        c = interpreter.connected(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (c != null && msg instanceof ByteBuf) {
                c.in.append((ByteBuf) msg);
                interpreter.advance(c);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (c != null) {
            interpreter.onClosed(c);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (c != null) {
            interpreter.exceptionCaught(c, cause);
        }
        ctx.close();
    }
}
