/// One question to the policy: may `subject` take `action` on `resource` in `context`?
///
/// A request *reveals an identity* when its action is `export`, `disclose` or `approve` and either its
/// compartments include `identity`, or its profile releases originals and `resource.originalRevealsSource`.
/// It *reveals a source* in the second case.
public struct PolicyRequest: Sendable, Equatable {
    /// Who asks.
    public var subject: Subject
    /// What they ask to do.
    public var action: Action
    /// On what.
    public var resource: Resource
    /// In which circumstances.
    public var context: RequestContext

    /// From its parts.
    public init(subject: Subject, action: Action, resource: Resource, context: RequestContext = RequestContext()) {
        self.subject = subject
        self.action = action
        self.resource = resource
        self.context = context
    }
}
