import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The load generators' HTTP/1.1 client: keep-alive connections to the one benchmark server, each carrying one
/// request at a time, with the request written straight into NIO's HTTP encoder.
///
/// The benchmark runs client, service and PostgreSQL on the same cores, so whatever the client spends is taken
/// from the service being measured. AsyncHTTPClient (kept for the CLI and the simulation) costs several times
/// more per request than this: a general client's pool, state machines and per-request task hops. This one
/// does the least a well-behaved client must do (a connection per concurrent caller, `Content-Length`, the whole
/// response read before the next request on the connection).
final class BenchClient: Sendable {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer

        /// The body of a response that must be 200, or an error quoting what the service answered.
        func ok(_ what: @autoclosure () -> String) throws -> ByteBuffer {
            guard status == .ok else { throw ClientFailure("\(what()) answered \(status.code): \(String(buffer: body))") }
            return body
        }
    }

    private let host: String
    private let port: Int
    private let idle = NIOLockedValueBox<[BenchConnection]>([])

    init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    func get(_ path: String, token: String) async throws -> Response {
        try await send(.GET, path, token: token, body: nil)
    }

    func post(_ path: String, token: String, body: ByteBuffer, contentType: String = "application/json", extraHeaders: [(String, String)] = []) async throws -> Response {
        try await send(.POST, path, token: token, body: body, contentType: contentType, extraHeaders: extraHeaders)
    }

    func send(
        _ method: HTTPMethod, _ path: String, token: String, body: ByteBuffer?, contentType: String = "application/json", extraHeaders: [(String, String)] = []
    ) async throws -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if let body {
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let connection = try await acquire()
        let response = try await connection.exchange(head: head, body: body)
        if response.headers.first(name: "Connection")?.lowercased() != "close" { release(connection) }
        return response
    }

    /// Closes every idle connection (those in use close when their caller is done with them and this is gone).
    func shutdown() async {
        let connections = idle.withLockedValue { connections in
            defer { connections = [] }
            return connections
        }
        for connection in connections { try? await connection.channel.close() }
    }

    private func acquire() async throws -> BenchConnection {
        while let connection = idle.withLockedValue({ $0.popLast() }) {
            if connection.channel.isActive { return connection }
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(BenchResponseHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return BenchConnection(channel: channel)
    }

    private func release(_ connection: BenchConnection) {
        idle.withLockedValue { $0.append(connection) }
    }
}

/// One keep-alive connection.
struct BenchConnection: Sendable {
    let channel: any Channel

    func exchange(head: HTTPRequestHead, body: ByteBuffer?) async throws -> BenchClient.Response {
        let promise = channel.eventLoop.makePromise(of: BenchClient.Response.self)
        channel.writeAndFlush(BenchExchange(head: head, body: body, response: promise), promise: nil)
        return try await promise.futureResult.get()
    }
}

/// A request and where its response goes.
struct BenchExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var response: EventLoopPromise<BenchClient.Response>
}

/// Writes each exchange's request and completes it with the response read back, in order.
final class BenchResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = BenchExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<BenchClient.Response>>()
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        waiting.append(exchange.response)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head, let promise = waiting.popFirst() else { return }
            self.head = nil
            promise.succeed(.init(status: head.status, headers: head.headers, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ClientFailure("the benchmark server closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
