import BudgetCore
import BudgetStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Samples per second through `POST /usage` against a raw `COPY` of the same rows into the same table.
struct IngestBenchmark {
    let samples: Int
    let batchSize: Int
    let clients: Int

    struct Result: Sendable {
        var httpSeconds: Double
        var copySeconds: Double
        var samples: Int
        var httpRate: Double { Double(samples) / httpSeconds }
        var copyRate: Double { Double(samples) / copySeconds }
        var ratio: Double { httpRate / copyRate }
    }

    /// One minute of cpu usage per sample, spread over 50 services and several days.
    func rows(tenantOffset: Int) -> [(environment: String, service: String, start: Int64)] {
        let base: Int64 = 1_790_812_800  // 2026-10-01T00:00:00Z
        return (0..<samples).map { index in
            (environment: "prod", service: "svc-\(index % 50)", start: base + Int64(index / 50) * 60 + Int64(tenantOffset))
        }
    }

    func run(in environment: InProcessService, logger: Logger) async throws -> Result {
        let rows = rows(tenantOffset: 0)
        // Bodies are built before the clock starts: the figure is the service's, not the client's JSON encoding.
        let bodies: [ByteBuffer] = stride(from: 0, to: rows.count, by: batchSize).map { start in
            let slice = rows[start..<min(start + batchSize, rows.count)]
            var text = #"{"samples":["#
            for (offset, row) in slice.enumerated() {
                if offset > 0 { text += "," }
                let startText = Timestamp(seconds: row.start).rfc3339
                let endText = Timestamp(seconds: row.start + 60).rfc3339
                text += #"{"environment":"\#(row.environment)","service":"\#(row.service)","resource":"cpu_cores","quantity":1.5,"start":"\#(startText)","end":"\#(endText)"}"#
            }
            return ByteBuffer(string: text + "]}")
        }
        // Warm up partitions and connections (not timed): create the days' partitions through one tiny request.
        for tenant in ["bench-http", "bench-copy"] {
            try await environment.store.ensureUsagePartitions(
                tenant: tenant, from: Timestamp(seconds: rows.first!.start), to: Timestamp(seconds: rows.last!.start + 60)
            )
        }

        let httpStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let next = BenchCounter()
            for _ in 0..<clients {
                group.addTask {
                    while let index = next.take(below: bodies.count) {
                        _ = try await environment.client.post("/v1/tenants/bench-http/usage", token: environment.token, body: bodies[index]).ok("ingest")
                    }
                }
            }
            try await group.waitForAll()
        }
        let httpSeconds = (ContinuousClock.now - httpStart).seconds

        // Baseline: the same rows COPYed straight into usage_samples (same table, indexes and partitions),
        // under another tenant, split over the same number of connections.
        let copyRows = rows.map { row in
            "bench-copy\t\(row.environment)\t\(row.service)\tcpu_cores\t\(Timestamp(seconds: row.start).rfc3339)\t\(Timestamp(seconds: row.start + 60).rfc3339)\t1.5\n"
        }
        let copyStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let chunk = (copyRows.count + clients - 1) / clients
            for part in stride(from: 0, to: copyRows.count, by: chunk) {
                let slice = Array(copyRows[part..<min(part + chunk, copyRows.count)])
                group.addTask {
                    try await environment.store.client.withConnection { connection in
                        try await connection.copyFrom(
                            table: "usage_samples",
                            columns: ["tenant_id", "environment", "service", "resource", "start_at", "end_at", "quantity"],
                            logger: logger
                        ) { writer in
                            var buffer = ByteBuffer()
                            for line in slice {
                                buffer.writeString(line)
                                if buffer.readableBytes > 1 << 16 {
                                    try await writer.write(buffer)
                                    buffer.clear()
                                }
                            }
                            if buffer.readableBytes > 0 { try await writer.write(buffer) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let copySeconds = (ContinuousClock.now - copyStart).seconds

        let stored = try await environment.store.countRows(tenant: "bench-http")
        guard stored == samples else { throw ClientFailure("HTTP ingest stored \(stored) of \(samples) samples") }
        return Result(httpSeconds: httpSeconds, copySeconds: copySeconds, samples: samples)
    }
}

/// Hands out indexes to concurrent workers.
final class BenchCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension BudgetStore {
    func countRows(tenant: String) async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM usage_samples WHERE tenant_id = \(tenant)")
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
