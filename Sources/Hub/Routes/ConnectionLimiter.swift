import Foundation
import HummingbirdCore
import Logging
import NIOCore
import Sync
import Synchronization

/// Counts the hub's open connections, in all and per client address.
///
/// A connection beyond either cap is answered `503` with a JSON error and closed at once, before
/// anything it sends is read: one address cannot take every descriptor, and many together cannot
/// take more than ``HubServer/Configuration/maxConnections``.
public final class ConnectionLimiter: Sendable {
    /// Connections in all.
    public let maxConnections: Int
    /// Connections from one address.
    public let maxConnectionsPerAddress: Int

    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())

    public init(maxConnections: Int, maxConnectionsPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }

    /// Takes a place for a connection from `address`; false when a cap is reached (nothing taken then).
    public func acquire(_ address: String) -> Bool {
        counts.withLock { counts in
            let fromAddress = counts.perAddress[address, default: 0]
            guard counts.total < maxConnections, fromAddress < maxConnectionsPerAddress else { return false }
            counts.total += 1
            counts.perAddress[address] = fromAddress + 1
            return true
        }
    }

    /// Gives back the place of a connection from `address`.
    public func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perAddress[address, default: 1] - 1
            counts.perAddress[address] = left > 0 ? left : nil
        }
    }

    /// Connections open now.
    public var openConnections: Int { counts.withLock { $0.total } }
}

/// A child channel that passes each connection through a ``ConnectionLimiter`` first.
///
/// It sits after TLS (when there is TLS) and before HTTP decoding, so its `503` is plain HTTP/1.1
/// bytes, encrypted like any answer.
struct LimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionLimitHandler(limiter: limiter, logger: logger))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Takes a place in the limiter when its connection becomes active and gives it back when it closes;
/// without a place, writes `503` and closes.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let logger: Logger
    private enum State {
        case idle
        case admitted(String)
        case refused
    }
    private var state = State.idle

    init(limiter: ConnectionLimiter, logger: Logger) {
        self.limiter = limiter
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's bytes are never read into a request.
        if case .refused = state { return }
        context.fireChannelRead(data)
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if limiter.acquire(address) {
            state = .admitted(address)
            return
        }
        state = .refused
        logger.warning(
            "connection refused: too many connections",
            metadata: ["open": .stringConvertible(limiter.openConnections)])
        let body = Self.refusalBody
        let head =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)"
            + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        let buffer = context.channel.allocator.buffer(string: head + body)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    private func leave() {
        if case .admitted(let address) = state { limiter.release(address) }
        state = .refused
    }

    static let refusalBody =
        #"{"error":"\#(HubErrorCode.unavailable)","message":"The hub holds as many connections as it allows; "#
        + #"try again in a moment."}"#
}
