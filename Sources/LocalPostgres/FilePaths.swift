import Foundation

/// Lexical path arithmetic; symbolic links are left alone so messages show the paths the user gave.
enum FilePaths {
    static func absolute(_ path: String) -> String {
        let base = path.hasPrefix("/") ? "" : FileManager.default.currentDirectoryPath
        return normalized(base + "/" + path)
    }

    static func join(_ directory: String, _ name: String) -> String {
        normalized(directory + "/" + name)
    }

    static func parent(of path: String) -> String {
        var components = normalized(path).split(separator: "/")
        guard !components.isEmpty else { return "/" }
        components.removeLast()
        return "/" + components.joined(separator: "/")
    }

    /// `/`, `/a`, `/a/b` for `/a/b/c`: every directory a user must enter to reach the path.
    static func ancestors(of path: String) -> [String] {
        let components = normalized(path).split(separator: "/").dropLast()
        var result = ["/"]
        var current = ""
        for component in components {
            current += "/" + component
            result.append(current)
        }
        return result
    }

    static func lastComponent(of path: String) -> String {
        normalized(path).split(separator: "/").last.map(String.init) ?? "/"
    }

    private static func normalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }
}
