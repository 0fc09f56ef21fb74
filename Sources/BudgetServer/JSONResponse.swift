import Foundation
import Hummingbird
import NIOCore

/// A JSON answer encoded with the API's encoder (sorted keys, so bytes are reproducible).
struct JSONResponse<Value: Encodable>: ResponseGenerator {
    var value: Value
    var status: HTTPResponse.Status = .ok

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    var response: Response {
        get throws {
            let data = try JSONEncoder.api.encode(value)
            return Response(
                status: status,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try response
    }
}
