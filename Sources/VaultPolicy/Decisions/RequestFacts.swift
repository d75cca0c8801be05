/// Facts derived once from a request and the policy, shared by the rules.
struct RequestFacts {
    /// The request's profile, nil when none was given or the policy has no such profile.
    let profile: RedactionProfile?
    /// Whether the request releases an original that reveals its source.
    let revealsSource: Bool
    /// Whether the request reveals an identity (see `PolicyRequest`).
    let revealsIdentity: Bool
    /// The resource's classification rank; nil when the label is unknown.
    let classificationRank: Int?

    init(_ request: PolicyRequest, _ policy: Policy) {
        profile = request.context.profile.flatMap { policy.profiles[$0] }
        let releasesOriginals = request.action.isRelease && (profile?.images.releaseOriginals ?? false)
            && request.resource.compartments.contains(.media)
        revealsSource = releasesOriginals && request.resource.originalRevealsSource
        revealsIdentity = request.action.isRelease
            && (request.resource.compartments.contains(.identity) || revealsSource || !request.resource.shownWitnesses.isEmpty)
        classificationRank = policy.classificationRank(request.resource.classification)
    }
}
