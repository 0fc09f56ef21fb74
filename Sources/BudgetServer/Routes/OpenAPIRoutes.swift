import Foundation
import Hummingbird
import NIOCore

/// `GET /openapi.yaml`: the document describing every route (a test keeps it true).
struct OpenAPIRoutes {
    /// The document shipped inside the binary.
    static let document: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\ninfo: {title: missing from the build, version: '0'}\npaths: {}\n" }
        return text
    }()

    func register(on routes: RouteRegistry) {
        routes.add(.get, "/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Self.document))
            )
        }
    }
}
