import Yams

/// A YAML document built in the order it is written (Yams' `Node`, with strings quoted where YAML would read
/// them as something else).
indirect enum YAMLTree {
    case map([(String, YAMLTree)])
    case list([YAMLTree])
    case string(String)
    case int(Int)
    case bool(Bool)

    var node: Node {
        switch self {
        case .map(let pairs): Node(pairs.map { (Node($0.0), $0.1.node) })
        case .list(let items): Node(items.map(\.node))
        case .int(let value): Node(String(value), Tag(.int))
        case .bool(let value): Node(value ? "true" : "false", Tag(.bool))
        case .string(let value): Node(value, Tag(.str), Self.style(for: value))
        }
    }

    static func style(for text: String) -> Node.Scalar.Style {
        if text.contains("\n") { return .literal }
        let plainWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        let special = "!&*-?:{}[],#|>@`\"'% "
        if text.isEmpty || Int(text) != nil || Double(text) != nil || plainWords.contains(text.lowercased())
            || special.contains(text.first!) || text.contains(": ") || text.contains(" #") || text.last == " " || text.last == ":"
        {
            return .doubleQuoted
        }
        return .plain
    }

    /// Several documents, separated by `---`.
    static func documents(_ trees: [YAMLTree]) throws -> String {
        try trees.map { try Yams.serialize(node: $0.node, width: -1) }.joined(separator: "---\n")
    }
}
