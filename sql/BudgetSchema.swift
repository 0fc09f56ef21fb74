import Foundation

/// The numbered SQL migrations, shipped with the binary as a resource bundle.
public enum BudgetSchema {
    /// One migration file: its number, its file name and its SQL.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    /// All migrations in `sql/migrations`, ordered by their number.
    public static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "migrations", withExtension: nil) else {
            throw SchemaError.missingBundle
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        var result: [Migration] = []
        for file in files {
            guard let number = Int(file.prefix { $0.isNumber }), !file.prefix(while: { $0.isNumber }).isEmpty else {
                throw SchemaError.badFileName(file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            result.append(Migration(version: number, name: file, sql: sql))
        }
        result.sort { $0.version < $1.version }
        for (previous, next) in zip(result, result.dropFirst()) where previous.version == next.version {
            throw SchemaError.duplicateVersion(previous.name, next.name)
        }
        return result
    }

    public enum SchemaError: Error, CustomStringConvertible {
        case missingBundle
        case badFileName(String)
        case duplicateVersion(String, String)

        public var description: String {
            switch self {
            case .missingBundle: "the SQL migrations resource bundle is missing from the build"
            case .badFileName(let name): "migration file \(name) does not start with its number (e.g. 001_init.sql)"
            case .duplicateVersion(let a, let b): "migrations \(a) and \(b) share a number"
            }
        }
    }
}
