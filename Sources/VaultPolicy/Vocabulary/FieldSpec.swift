/// One field of a record kind: its name, the compartment it is sealed to, and its kind.
public struct FieldSpec: Sendable, Hashable {
    /// The field name as records and policy files spell it (`detaineeNumber`).
    public let name: String
    /// The compartment the field is sealed to (issue 3).
    public let compartment: Compartment
    /// What the value is, which decides the permitted field actions.
    public let kind: FieldKind

    /// A field named `name`, sealed to `compartment`, holding a value of `kind`.
    public init(_ name: String, _ compartment: Compartment, _ kind: FieldKind = .text) {
        self.name = name
        self.compartment = compartment
        self.kind = kind
    }

    /// Whether the field holds a list of strings (stored as a JSON array).
    public var isList: Bool { kind == .list }
}
