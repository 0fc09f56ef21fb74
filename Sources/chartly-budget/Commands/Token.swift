import ArgumentParser
import Foundation

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens (needs an admin token).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; its secret is printed once.")

        @Option(help: "A name people recognise (e.g. the agent or team using it).")
        var name: String

        @Option(name: .customLong("scope"), help: "\"admin\" or \"<tenant>:<read|ingest|decide|manage>\"; repeat for several.")
        var scopes: [String]

        @Option(help: "RFC 3339 expiry, e.g. 2027-01-01T00:00:00Z (default: never).")
        var expiresAt: String?

        @OptionGroup var client: ClientOptions

        struct Created: Decodable {
            var token: String
            var id: String
            var scopes: [String]
        }

        func run() async throws {
            var body: [String: AnyEncodable] = ["name": .init(name), "scopes": .init(scopes)]
            if let expiresAt { body["expires_at"] = .init(expiresAt) }
            let created = try await APIClient(options: client).call(.POST, "/v1/tokens", json: try JSONEncoder().encode(body), as: Created.self)
            print("id:     \(created.id)")
            print("scopes: \(created.scopes.joined(separator: ", "))")
            print("token:  \(created.token)")
            print("The token is shown only now; store it safely.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var client: ClientOptions

        struct Listed: Decodable {
            struct Item: Decodable {
                var id: String
                var name: String
                var scopes: [String]
                var created_at: String
                var expires_at: String?
                var revoked_at: String?
            }
            var tokens: [Item]
        }

        func run() async throws {
            let listed = try await APIClient(options: client).call(.GET, "/v1/tokens", as: Listed.self)
            print("ID                NAME                  STATE     SCOPES")
            for item in listed.tokens {
                let state = item.revoked_at != nil ? "revoked" : (item.expires_at.map { "until \($0)" } ?? "active")
                print("\(item.id)  \(item.name.padding(toLength: 20, withPad: " ", startingAt: 0))  \(state.padding(toLength: 8, withPad: " ", startingAt: 0))  \(item.scopes.joined(separator: ","))")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")

        @Argument(help: "The token id (from `token list`).")
        var id: String

        @OptionGroup var client: ClientOptions

        func run() async throws {
            struct Revoked: Decodable { var id: String }
            let revoked = try await APIClient(options: client).call(.DELETE, "/v1/tokens/\(id)", as: Revoked.self)
            print("revoked \(revoked.id)")
        }
    }
}

/// A type-erased Encodable for building small JSON bodies.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
