import Hummingbird
import NIOCore

/// `GET /metrics`: Prometheus text exposition (open unless `serve --protect-metrics`).
struct MetricsRoutes {
    let metrics: BudgetMetrics

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
    }
}
