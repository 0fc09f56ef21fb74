import Logging
import ServiceLifecycle

/// The loop of the background services: `round` now, then again `interval` after each round ends, until the
/// service group shuts down gracefully. A round that throws is logged (`failure`, with the error) and the next
/// one runs on time.
func repeatUntilShutdown(
    every interval: Duration, logger: Logger, failure: Logger.Message = "", level: Logger.Level = .warning,
    _ round: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await round()
            } catch {
                logger.log(level: level, failure, metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
