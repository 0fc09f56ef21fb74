import ArgumentParser
import Foundation

/// How a client command reaches a running server, and with which token.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's base URL (default: $CHARTLY_URL or http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "Bearer token (default: $CHARTLY_TOKEN, else the embedded default's .chartly/admin-token).")
    var token: String?

    var baseURL: String {
        let text = server ?? ProcessInfo.processInfo.environment["CHARTLY_URL"] ?? "http://127.0.0.1:8080"
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// The token to send, if any can be found.
    var resolvedToken: String? {
        if let token { return token }
        if let token = ProcessInfo.processInfo.environment["CHARTLY_TOKEN"], !token.isEmpty { return token }
        return AdminTokenFile.read(directory: ".chartly")
    }
}
