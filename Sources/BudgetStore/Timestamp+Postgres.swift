import BudgetCore
import NIOCore
import PostgresNIO

// Timestamps travel as PostgreSQL's binary timestamptz (microseconds since 2000-01-01),
// so no precision is lost on the way (Foundation's Date is a Double).
extension Timestamp: PostgresNonThrowingEncodable, PostgresArrayEncodable, PostgresDecodable, PostgresArrayDecodable {
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    public static var psqlType: PostgresDataType { .timestamptz }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .timestamptzArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(microsecondsSinceEpoch - Self.postgresEpochOffset)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer,
        type: PostgresDataType,
        format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        guard buffer.readableBytes == 8, let microseconds = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.failure
        }
        self.init(microsecondsSinceEpoch: microseconds + Self.postgresEpochOffset)
    }
}
