/// What a limit does when a scale-up would break it.
public enum Enforcement: String, Sendable, Hashable, Codable, CaseIterable {
    /// Veto: the scale-up is clamped to what fits, or denied.
    case deny
    /// Allow, but say so in the reasons (and raise an alert).
    case warn
    /// Record only: the reasons say what would have happened.
    case dryrun
}
