import Foundation

/// A table of expected decisions, run against a policy (`amanah policy test FILE`), in the spirit of
/// `opa test`. The file (TOML, strict like the policy; `keys-example/policy-tests.toml` covers the default):
/// ```
/// version = 1
/// [[test]]
/// name = "collector cannot view media"      required, unique
/// role = "collector"                        member role (absent: none)
/// custodian = false                         the key is a custodian
/// key-id = "k-collector"                    default "subject"
/// action = "view"                           required
/// compartments = ["media"]                  absent: none (administer, audit)
/// case = "C-1"
/// classification = "restricted"
/// reveals-source = true                     the item's original reveals its source
/// region-categories = ["A"]
/// witnesses = [{ pseudonym = "W-0001", consent = ["ICC-OTP"], measures = ["pseudonym-only"] }]
/// profile = "tribunal-full"
/// recipient = "ICC-OTP"
/// requester = "k-legal"
/// approvals = [{ key-id = "k-po", role = "protection-officer", custodian = false }]
/// court-order = { operation = "OP-7", recipient = "ICC-OTP", witnesses = ["W-0001"] }
/// expect = "deny"                           required: permit | deny
/// obligations = ["profile=public"]          the permit's exact obligations, any order
/// complete = true                           whether no approval is still missing
/// reason = "never read it back"             text the deny reason must contain
/// rule = "collectors-are-write-only"        a rule that must appear among the decision's rules
/// ```
public struct PolicyTestSuite: Sendable, Equatable {
    /// One expected decision.
    public struct Case: Sendable, Equatable {
        /// Unique test name.
        public var name: String
        /// The request to decide.
        public var request: PolicyRequest
        /// Whether the decision must be permit (else deny).
        public var expectPermit: Bool
        /// Exact obligations expected of a permit, nil when not checked.
        public var obligations: [Obligation]?
        /// Expected `Decision.isComplete`, nil when not checked.
        public var complete: Bool?
        /// Text the deny reason must contain, nil when not checked.
        public var reasonContains: String?
        /// A rule name that must appear in the decision's rules, nil when not checked.
        public var rule: String?
    }

    /// The largest test file accepted, in bytes (4 MiB).
    public static let maximumSize = 4 << 20

    /// The cases, in file order.
    public var cases: [Case]

    /// A suite of `cases`.
    public init(cases: [Case]) { self.cases = cases }

    /// Parses a test table.
    /// - Throws: `PolicyError` naming the key path of the first problem.
    public init(parsing bytes: [UInt8]) throws(PolicyError) {
        let root = try TOMLReader.document(bytes, limit: PolicyTestSuite.maximumSize)
        try root.allowOnly(["version", "test"])
        guard let version = try root.int("version", range: Int.min...Int.max) else {
            throw PolicyError(.missingKey, at: "version", "is required")
        }
        guard version == 1 else {
            throw PolicyError(.unsupportedVersion, at: "version", "test table version \(version) is not supported")
        }
        var cases: [Case] = []
        var names = Set<String>()
        for table in try root.tables("test") ?? [] {
            let parsed = try PolicyTestSuite.parseCase(table)
            guard names.insert(parsed.name).inserted else {
                throw PolicyError(.duplicate, at: table.child("name"), "test name \"\(parsed.name)\" is used twice")
            }
            cases.append(parsed)
        }
        try root.finish()
        self.cases = cases
    }

    /// Parses a test table given as text (see `init(parsing:)`).
    public init(parsing text: String) throws(PolicyError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Runs every case against `policy`.
    public func run(against policy: Policy) -> PolicyTestReport {
        PolicyTestReport(results: cases.map { testCase in
            let decision = policy.decide(testCase.request)
            return PolicyTestResult(name: testCase.name, decision: decision, failures: testCase.check(decision))
        })
    }

    static func parseCase(_ table: TOMLReader) throws(PolicyError) -> Case {
        try table.allowOnly(["name", "role", "custodian", "key-id", "action", "compartments", "case",
                             "classification", "reveals-source", "region-categories", "witnesses", "profile",
                             "recipient", "requester", "approvals", "court-order", "expect", "obligations",
                             "complete", "reason", "rule"])
        let name = try table.requiredString("name")
        try PolicyParser.checkText(name, at: table.child("name"))
        func role(_ text: String?, at path: String) throws(PolicyError) -> Role? {
            guard let text else { return nil }
            guard let role = Role(rawValue: text) else {
                throw PolicyError(.invalidValue, at: path, "unknown role \"\(text)\"")
            }
            return role
        }
        let subject = Subject(keyID: try table.string("key-id") ?? "subject",
                              role: try role(table.string("role"), at: table.child("role")),
                              isCustodian: try table.bool("custodian") ?? false)
        let actionText = try table.requiredString("action")
        guard let action = Action(rawValue: actionText) else {
            throw PolicyError(.invalidValue, at: table.child("action"), "unknown action \"\(actionText)\"")
        }
        let compartments = try PolicyParser.enumValues(table.strings("compartments") ?? [], Compartment.self,
                                                       at: table.child("compartments"), what: "compartment")
        var witnesses: [WitnessFacts] = []
        for witness in try table.tables("witnesses") ?? [] {
            try witness.allowOnly(["pseudonym", "consent", "measures"])
            witnesses.append(WitnessFacts(pseudonym: try witness.requiredString("pseudonym"),
                                          consent: try witness.strings("consent", nonEmpty: false) ?? [],
                                          protectiveMeasures: try witness.strings("measures", nonEmpty: false) ?? []))
            try witness.finish()
        }
        let resource = Resource(compartments: Set(compartments), label: name, caseID: try table.string("case"),
                                classification: try table.string("classification"), witnesses: witnesses,
                                originalRevealsSource: try table.bool("reveals-source") ?? false,
                                regionCategories: try table.strings("region-categories", nonEmpty: false) ?? [])
        var approvals: [Approval] = []
        for approval in try table.tables("approvals") ?? [] {
            try approval.allowOnly(["key-id", "role", "custodian"])
            approvals.append(Approval(keyID: try approval.requiredString("key-id"),
                                      role: try role(approval.string("role"), at: approval.child("role")),
                                      isCustodian: try approval.bool("custodian") ?? false))
            try approval.finish()
        }
        var courtOrder: CourtOrder?
        if let order = try table.table("court-order") {
            try order.allowOnly(["operation", "recipient", "witnesses"])
            courtOrder = CourtOrder(operationID: try order.requiredString("operation"),
                                    recipient: try order.requiredString("recipient"),
                                    witnesses: try order.requiredStrings("witnesses"))
            try order.finish()
        }
        let context = RequestContext(profile: try table.string("profile"), recipient: try table.string("recipient"),
                                     requester: try table.string("requester"), approvals: approvals,
                                     courtOrder: courtOrder)
        let expect = try table.requiredString("expect")
        guard expect == "permit" || expect == "deny" else {
            throw PolicyError(.invalidValue, at: table.child("expect"), "must be \"permit\" or \"deny\"")
        }
        var obligations: [Obligation]?
        if let list = try table.strings("obligations", nonEmpty: false) {
            var parsed: [Obligation] = []
            for (index, text) in list.enumerated() {
                guard let obligation = Obligation(text) else {
                    throw PolicyError(.invalidValue, at: table.child("obligations") + "[\(index)]",
                                      "unknown obligation \"\(text)\"")
                }
                parsed.append(obligation)
            }
            obligations = parsed
        }
        let parsed = Case(name: name,
                          request: PolicyRequest(subject: subject, action: action, resource: resource, context: context),
                          expectPermit: expect == "permit", obligations: obligations,
                          complete: try table.bool("complete"), reasonContains: try table.string("reason"),
                          rule: try table.string("rule"))
        try table.finish()
        return parsed
    }
}

extension PolicyTestSuite.Case {
    /// What does not match the expectation, in words (empty when the case passes).
    func check(_ decision: Decision) -> [String] {
        var failures: [String] = []
        let got = decision.isPermit ? "permit" : "deny"
        if decision.isPermit != expectPermit {
            let why = decision.reason.map { " (\($0))" } ?? ""
            failures.append("expected \(expectPermit ? "permit" : "deny"), got \(got)\(why)")
        }
        if let obligations, Set(obligations) != Set(decision.obligations) || obligations.count != decision.obligations.count {
            failures.append("expected obligations [\(obligations.map(\.description).joined(separator: ", "))], got ["
                            + decision.obligations.map(\.description).joined(separator: ", ") + "]")
        }
        if let complete, complete != decision.isComplete {
            failures.append(complete ? "expected complete, but approvals are missing" : "expected approvals missing, but complete")
        }
        if let reasonContains {
            if let reason = decision.reason {
                if !reason.contains(reasonContains) {
                    failures.append("deny reason \"\(reason)\" does not contain \"\(reasonContains)\"")
                }
            } else {
                failures.append("expected a deny reason containing \"\(reasonContains)\", got permit")
            }
        }
        if let rule, !decision.rules.contains(where: { $0.name == rule }) {
            failures.append("rule \(rule) did not take part (rules: "
                            + decision.rules.map(\.name).joined(separator: ", ") + ")")
        }
        return failures
    }
}
