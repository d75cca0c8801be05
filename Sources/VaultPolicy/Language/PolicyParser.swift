internal import VaultText
internal import TOMLKit

/// Reads a policy document into a `Policy`, validating as it goes. See `Policy` for the schema.
enum PolicyParser {
    static func parse(_ root: TOMLReader) throws(PolicyError) -> Policy {
        guard let version = try root.int("version", range: Int.min...Int.max) else {
            throw PolicyError(.missingKey, at: "version", "is required")
        }
        guard version == Policy.languageVersion else {
            throw PolicyError(.unsupportedVersion, at: "version",
                              "language version \(version) is not supported (this build reads \(Policy.languageVersion))")
        }
        try root.allowOnly(["version", "classifications", "categories", "measures", "places", "roles", "deny",
                            "disclosure", "profiles"])

        let classifications = try root.requiredStrings("classifications")
        for (index, label) in classifications.enumerated() {
            try checkName(label, at: root.child("classifications") + "[\(index)]", what: "classification")
        }
        let categories = try parseCategories(root.requiredTable("categories"))
        let context = Context(classifications: classifications, categories: categories)
        let measures = try parseMeasures(root.table("measures"), context)
        let places = try parsePlaces(root.requiredTable("places"))
        let profiles = try parseProfiles(root.requiredTable("profiles"), context)
        let withProfiles = Context(classifications: classifications, categories: categories,
                                   profiles: Set(profiles.keys))
        let (descriptions, allowRules) = try parseRoles(root.requiredTable("roles"), withProfiles)
        var denyRules: [DenyRule] = []
        for rule in try root.tables("deny") ?? [] {
            denyRules.append(try parseDeny(rule, withProfiles))
        }
        let disclosure = try parseDisclosure(root.requiredTable("disclosure"))
        var names = Set<String>()
        for (name, path) in allowRules.map({ ($0.name, $0.keyPath) }) + denyRules.map({ ($0.name, $0.keyPath) }) {
            guard names.insert(name).inserted else {
                throw PolicyError(.duplicate, at: path + ".name", "rule name \"\(name)\" is used twice")
            }
        }
        try root.finish()
        return Policy(version: version, classifications: classifications, categories: categories,
                      measures: measures, places: places, roleDescriptions: descriptions, allowRules: allowRules,
                      denyRules: denyRules, disclosure: disclosure, profiles: profiles)
    }

    /// What later sections are checked against.
    struct Context {
        var classifications: [String]
        var categories: [String: CategoryCode]
        var profiles: Set<String> = []
    }

    // MARK: - Names

    /// Names of profiles, rules, measures and classifications: 1-64 of `a-z 0-9 -`, starting with a letter
    /// or digit.
    static func isName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard (1...64).contains(scalars.count) else { return false }
        for (index, scalar) in scalars.enumerated() {
            let alphanumeric = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            guard alphanumeric || (index > 0 && scalar == "-") else { return false }
        }
        return true
    }

    static func checkName(_ text: String, at path: String, what: String) throws(PolicyError) {
        guard isName(text) else {
            throw PolicyError(.invalidValue, at: path,
                              "\(what) name \"\(text)\" must be 1-64 characters of a-z, 0-9 and -, not starting with -")
        }
    }

    /// Category codes: 1-8 of `A-Z 0-9`.
    static func isCode(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        return (1...8).contains(scalars.count)
            && scalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Free text (descriptions, reasons, case ids): non-empty after trimming, no control characters other
    /// than line feed.
    static func checkText(_ text: String, at path: String) throws(PolicyError) {
        guard !TextNormalisation.normalise(text).isEmpty else {
            throw PolicyError(.invalidValue, at: path, "must not be empty")
        }
        guard !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f }) else {
            throw PolicyError(.invalidValue, at: path, "must not contain control characters")
        }
    }

    static func enumValues<T: RawRepresentable & CaseIterable>(_ list: [String], _ type: T.Type, at path: String,
                                                               what: String) throws(PolicyError) -> [T]
    where T.RawValue == String {
        var out: [T] = []
        for (index, text) in list.enumerated() {
            guard let value = T(rawValue: text) else {
                let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
                throw PolicyError(.invalidValue, at: path + "[\(index)]", "unknown \(what) \"\(text)\" (one of: \(allowed))")
            }
            out.append(value)
        }
        return out
    }

    static func codes(_ list: [String], at path: String, _ context: Context) throws(PolicyError) -> [String] {
        for (index, code) in list.enumerated() where context.categories[code] == nil {
            throw PolicyError(.invalidValue, at: path + "[\(index)]", "unknown category code \"\(code)\"")
        }
        return list
    }

    static func profileNames(_ list: [String], at path: String, _ context: Context) throws(PolicyError) -> Set<String> {
        for (index, name) in list.enumerated() where !context.profiles.contains(name) {
            throw PolicyError(.invalidValue, at: path + "[\(index)]", "unknown profile \"\(name)\"")
        }
        return Set(list)
    }

    static func classification(_ label: String?, at path: String, _ context: Context) throws(PolicyError) -> String? {
        guard let label else { return nil }
        guard context.classifications.contains(label) else {
            throw PolicyError(.invalidValue, at: path, "unknown classification \"\(label)\"")
        }
        return label
    }

    static func caseIDs(_ list: [String]?, at path: String) throws(PolicyError) -> Set<String>? {
        guard let list else { return nil }
        for (index, id) in list.enumerated() { try checkText(id, at: path + "[\(index)]") }
        return Set(list)
    }

    // MARK: - Sections

    static func parseCategories(_ table: TOMLReader) throws(PolicyError) -> [String: CategoryCode] {
        var out: [String: CategoryCode] = [:]
        for code in table.keys {
            guard isCode(code) else {
                throw PolicyError(.invalidValue, at: table.child(code), "category code \"\(code)\" must be 1-8 of A-Z and 0-9")
            }
            guard let entry = try table.table(code) else { continue }
            try entry.allowOnly(["description", "reason-required"])
            let description = try entry.requiredString("description")
            try checkText(description, at: entry.child("description"))
            out[code] = CategoryCode(code: code, description: description,
                                     reasonRequired: try entry.bool("reason-required") ?? false)
            try entry.finish()
        }
        guard !out.isEmpty else { throw PolicyError(.invalidValue, at: "categories", "must define at least one code") }
        return out
    }

    static func parseMeasures(_ table: TOMLReader?, _ context: Context) throws(PolicyError) -> [String: ProtectiveMeasure] {
        guard let table else { return [:] }
        var out: [String: ProtectiveMeasure] = [:]
        for name in table.keys {
            try checkName(name, at: table.child(name), what: "measure")
            guard let entry = try table.table(name) else { continue }
            try entry.allowOnly(["description", "remove-identity", "withhold-originals", "always-mask", "code"])
            let description = try entry.requiredString("description")
            try checkText(description, at: entry.child("description"))
            let removeIdentity = try entry.bool("remove-identity") ?? false
            let alwaysMask = try codes(entry.strings("always-mask", nonEmpty: false) ?? [],
                                       at: entry.child("always-mask"), context)
            let code = try entry.string("code")
            if let code, context.categories[code] == nil {
                throw PolicyError(.invalidValue, at: entry.child("code"), "unknown category code \"\(code)\"")
            }
            if removeIdentity && code == nil {
                throw PolicyError(.missingKey, at: entry.child("code"), "is required when remove-identity is true")
            }
            out[name] = ProtectiveMeasure(name: name, description: description, removeIdentity: removeIdentity,
                                          withholdOriginals: try entry.bool("withhold-originals") ?? false,
                                          alwaysMask: alwaysMask, code: code)
            try entry.finish()
        }
        return out
    }

    static func parsePlaces(_ table: TOMLReader) throws(PolicyError) -> PlaceGeneralisation {
        try table.allowOnly(["fallback", "regions"])
        let fallbackText = try table.requiredString("fallback")
        guard let fallback = PlaceGeneralisation.Fallback(rawValue: fallbackText) else {
            let allowed = PlaceGeneralisation.Fallback.allCases.map(\.rawValue).joined(separator: ", ")
            throw PolicyError(.invalidValue, at: table.child("fallback"),
                              "unknown fallback \"\(fallbackText)\" (one of: \(allowed))")
        }
        var regions: [String: String] = [:]
        if let map = try table.table("regions") {
            for place in map.keys {
                let path = map.child(place)
                try checkText(place, at: path)
                guard let region = try map.string(place) else { continue }
                try checkText(region, at: path)
                let key = TextNormalisation.matchKey(place)
                guard regions[key] == nil else {
                    throw PolicyError(.duplicate, at: path, "the same place as another entry once normalised")
                }
                regions[key] = TextNormalisation.normalise(region)
            }
            try map.finish()
        }
        try table.finish()
        return PlaceGeneralisation(regions: regions, fallback: fallback)
    }

    static func parseRoles(_ table: TOMLReader, _ context: Context) throws(PolicyError)
        -> ([Role: String], [AllowRule]) {
        var descriptions: [Role: String] = [:]
        var rules: [AllowRule] = []
        for name in table.keys {
            guard let role = Role(rawValue: name) else {
                let allowed = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw PolicyError(.unknownKey, at: table.child(name), "unknown role \"\(name)\" (one of: \(allowed))")
            }
            guard let entry = try table.table(name) else { continue }
            try entry.allowOnly(["description", "allow"])
            if let description = try entry.string("description") {
                try checkText(description, at: entry.child("description"))
                descriptions[role] = description
            }
            for rule in try entry.tables("allow") ?? [] {
                rules.append(try parseAllow(rule, role: role, context))
            }
            try entry.finish()
        }
        return (descriptions, rules)
    }

    static func parseAllow(_ rule: TOMLReader, role: Role, _ context: Context) throws(PolicyError) -> AllowRule {
        try rule.allowOnly(["name", "actions", "compartments", "profiles", "cases", "max-classification", "consent",
                            "reveals-identity", "obligations"])
        let name = try rule.requiredString("name")
        try checkName(name, at: rule.child("name"), what: "rule")
        let actions = try enumValues(rule.requiredStrings("actions"), Action.self, at: rule.child("actions"),
                                     what: "action")
        let content = actions.filter(\.concernsContent)
        if !content.isEmpty && content.count != actions.count {
            throw PolicyError(.invalidValue, at: rule.child("actions"),
                              "mixes vault-wide actions (administer, audit) with content actions: write two rules")
        }
        let compartmentList = try rule.strings("compartments")
        var compartments = Set<Compartment>()
        if content.isEmpty {
            if compartmentList != nil {
                throw PolicyError(.invalidValue, at: rule.child("compartments"),
                                  "administer and audit concern the whole vault and take no compartments")
            }
        } else {
            guard let compartmentList else {
                throw PolicyError(.missingKey, at: rule.child("compartments"), "is required for content actions")
            }
            compartments = Set(try enumValues(compartmentList, Compartment.self, at: rule.child("compartments"),
                                              what: "compartment"))
        }
        let releaseOnly = actions.allSatisfy(\.isRelease)
        for key in ["profiles", "consent", "reveals-identity"] where rule.contains(key) && !releaseOnly {
            throw PolicyError(.invalidValue, at: rule.child(key), "applies only to export, disclose and approve")
        }
        let profiles = try rule.strings("profiles").map { (list) throws(PolicyError) in
            try profileNames(list, at: rule.child("profiles"), context)
        }
        var obligations: [Obligation] = []
        for (index, text) in (try rule.strings("obligations") ?? []).enumerated() {
            guard text == "quorum" else {
                throw PolicyError(.invalidValue, at: rule.child("obligations") + "[\(index)]",
                                  "unknown obligation \"\(text)\" (one of: quorum)")
            }
            obligations.append(.quorum)
        }
        let parsed = AllowRule(
            name: name, role: role, actions: Set(actions), compartments: compartments, profiles: profiles,
            cases: try caseIDs(rule.strings("cases"), at: rule.child("cases")),
            maxClassification: try classification(rule.string("max-classification"),
                                                  at: rule.child("max-classification"), context),
            requiresConsent: try rule.bool("consent") ?? false,
            revealsIdentity: try rule.bool("reveals-identity"),
            obligations: obligations, keyPath: rule.path)
        try rule.finish()
        return parsed
    }

    static func parseDeny(_ rule: TOMLReader, _ context: Context) throws(PolicyError) -> DenyRule {
        try rule.allowOnly(["name", "roles", "actions", "compartments", "profiles", "cases", "min-classification",
                            "reveals-identity", "reveals-source", "reason"])
        let name = try rule.requiredString("name")
        try checkName(name, at: rule.child("name"), what: "rule")
        let reason = try rule.requiredString("reason")
        try checkText(reason, at: rule.child("reason"))
        let roles = try rule.strings("roles").map { (list) throws(PolicyError) in
            Set(try enumValues(list, Role.self, at: rule.child("roles"), what: "role"))
        }
        let compartments = try rule.strings("compartments").map { (list) throws(PolicyError) in
            Set(try enumValues(list, Compartment.self, at: rule.child("compartments"), what: "compartment"))
        }
        let profiles = try rule.strings("profiles").map { (list) throws(PolicyError) in
            try profileNames(list, at: rule.child("profiles"), context)
        }
        let parsed = DenyRule(
            name: name, roles: roles,
            actions: Set(try enumValues(rule.requiredStrings("actions"), Action.self, at: rule.child("actions"),
                                        what: "action")),
            compartments: compartments, profiles: profiles,
            cases: try caseIDs(rule.strings("cases"), at: rule.child("cases")),
            minClassification: try classification(rule.string("min-classification"),
                                                  at: rule.child("min-classification"), context),
            revealsIdentity: try rule.bool("reveals-identity"), revealsSource: try rule.bool("reveals-source"),
            reason: reason, keyPath: rule.path)
        try rule.finish()
        return parsed
    }

    static func parseDisclosure(_ table: TOMLReader) throws(PolicyError) -> DisclosureRequirements {
        try table.allowOnly(["approvals", "distinct-from-requester", "identity-approver", "identity-consent",
                             "court-order-override"])
        func required(_ key: String) throws(PolicyError) -> Bool {
            guard let flag = try table.bool(key) else { throw PolicyError(.missingKey, at: table.child(key), "is required") }
            return flag
        }
        guard let approvals = try table.int("approvals", range: 0...16) else {
            throw PolicyError(.missingKey, at: table.child("approvals"), "is required")
        }
        var approver: Role?
        if let text = try table.string("identity-approver") {
            guard let role = Role(rawValue: text) else {
                throw PolicyError(.invalidValue, at: table.child("identity-approver"), "unknown role \"\(text)\"")
            }
            approver = role
        }
        let parsed = DisclosureRequirements(approvals: approvals, distinctFromRequester: try required("distinct-from-requester"),
                                            identityApprover: approver, identityConsent: try required("identity-consent"),
                                            courtOrderOverride: try required("court-order-override"))
        try table.finish()
        return parsed
    }

    // MARK: - Profiles

    static func parseProfiles(_ table: TOMLReader, _ context: Context) throws(PolicyError) -> [String: RedactionProfile] {
        var out: [String: RedactionProfile] = [:]
        for name in table.keys {
            try checkName(name, at: table.child(name), what: "profile")
            guard let entry = try table.table(name) else { continue }
            try entry.allowOnly(Set(["description", "images"] + RecordKind.released.map(\.rawValue)))
            let description = try entry.requiredString("description")
            try checkText(description, at: entry.child("description"))
            let images = try parseImages(entry.requiredTable("images"), context)
            var fields: [RecordKind: [String: FieldRule]] = [:]
            for kind in RecordKind.released {
                fields[kind] = try parseFields(entry.requiredTable(kind.rawValue), kind: kind, context)
            }
            out[name] = RedactionProfile(name: name, description: description, images: images, fields: fields)
            try entry.finish()
        }
        return out
    }

    static func parseImages(_ table: TOMLReader, _ context: Context) throws(PolicyError) -> ImageRules {
        try table.allowOnly(["originals", "strip-metadata", "mask", "unmask-with-consent", "release-reasons", "watermark"])
        guard let originals = try table.bool("originals") else {
            throw PolicyError(.missingKey, at: table.child("originals"), "is required")
        }
        guard let strip = try table.bool("strip-metadata") else {
            throw PolicyError(.missingKey, at: table.child("strip-metadata"), "is required")
        }
        guard strip != originals else {
            throw PolicyError(.invalidValue, at: table.child("strip-metadata"), originals
                              ? "an original is released byte-identical, so its metadata cannot be stripped"
                              : "derivatives never carry metadata: strip-metadata must be true")
        }
        guard let maskList = try table.strings("mask", nonEmpty: false) else {
            throw PolicyError(.missingKey, at: table.child("mask"), "is required")
        }
        let mask = try codes(maskList, at: table.child("mask"), context)
        if originals && !mask.isEmpty {
            throw PolicyError(.invalidValue, at: table.child("mask"), "an original cannot be masked: mask must be empty")
        }
        let unmask = try codes(table.strings("unmask-with-consent", nonEmpty: false) ?? [],
                               at: table.child("unmask-with-consent"), context)
        for (index, code) in unmask.enumerated() where !mask.contains(code) {
            throw PolicyError(.invalidValue, at: table.child("unmask-with-consent") + "[\(index)]",
                              "\"\(code)\" is not in mask")
        }
        let reasons = try codes(table.strings("release-reasons", nonEmpty: false) ?? [], at: table.child("release-reasons"), context)
        for (index, code) in reasons.enumerated() {
            if context.categories[code]?.reasonRequired != true {
                throw PolicyError(.invalidValue, at: table.child("release-reasons") + "[\(index)]",
                                  "category \"\(code)\" does not require a reason; only the reasons of such categories can be released")
            }
            if !mask.contains(code) {
                throw PolicyError(.invalidValue, at: table.child("release-reasons") + "[\(index)]", "\"\(code)\" is not in mask")
            }
        }
        let watermark = try table.bool("watermark") ?? false
        if watermark && originals {
            throw PolicyError(.invalidValue, at: table.child("watermark"), "an original is released byte-identical, so nothing can be drawn on it")
        }
        try table.finish()
        return ImageRules(releaseOriginals: originals, stripMetadata: strip, maskCategories: mask,
                          unmaskWithConsent: unmask, releaseReasons: reasons, watermark: watermark)
    }

    static func parseFields(_ table: TOMLReader, kind: RecordKind, _ context: Context) throws(PolicyError)
        -> [String: FieldRule] {
        try table.allowOnly(Set(kind.releasedFields.map(\.name)))
        var out: [String: FieldRule] = [:]
        for spec in kind.releasedFields {
            let path = table.child(spec.name)
            guard let raw = table.raw(spec.name) else {
                throw PolicyError(.missingKey, at: path, "every \(kind.rawValue) field needs a rule")
            }
            out[spec.name] = try parseFieldRule(raw, spec: spec, at: path, context)
        }
        try table.finish()
        return out
    }

    static func parseFieldRule(_ raw: TOMLValueConvertible, spec: FieldSpec, at path: String,
                               _ context: Context) throws(PolicyError) -> FieldRule {
        if let text = raw.string {
            guard text == "keep" else {
                throw PolicyError(.invalidValue, at: path,
                                  "\"\(text)\" needs a category code: write { action = \"\(text)\", code = \"...\" }")
            }
            return FieldRule(action: .keep, code: nil, reason: nil)
        }
        guard let inner = raw.table else {
            throw PolicyError(.wrongType, at: path, "must be \"keep\" or a table with action and code")
        }
        let table = TOMLReader(inner, path: path)
        try table.allowOnly(["action", "level", "width", "code", "reason"])
        let actionName = try table.requiredString("action")
        let level = try table.string("level")
        let width = try table.int("width", range: 1...150)
        let action: FieldAction
        switch actionName {
        case "keep": action = .keep
        case "remove": action = .remove
        case "pseudonymise": action = .pseudonymise
        case "generalise":
            guard let level else { throw PolicyError(.missingKey, at: table.child("level"), "is required to generalise") }
            switch level {
            case "month": action = .generalise(.month)
            case "year": action = .generalise(.year)
            case "region": action = .generalise(.region)
            case "range":
                guard let width else {
                    throw PolicyError(.missingKey, at: table.child("width"), "is required for an age range")
                }
                action = .generalise(.ageRange(width: width))
            default:
                throw PolicyError(.invalidValue, at: table.child("level"),
                                  "unknown level \"\(level)\" (one of: month, year, region, range)")
            }
        default:
            throw PolicyError(.invalidValue, at: table.child("action"),
                              "unknown action \"\(actionName)\" (one of: keep, remove, pseudonymise, generalise)")
        }
        if case .generalise(let how) = action {
            if case .ageRange = how {} else if width != nil {
                throw PolicyError(.invalidValue, at: table.child("width"), "applies only to level = \"range\"")
            }
        } else {
            if level != nil { throw PolicyError(.invalidValue, at: table.child("level"), "applies only to generalise") }
            if width != nil { throw PolicyError(.invalidValue, at: table.child("width"), "applies only to generalise") }
        }
        guard permitted(action, for: spec.kind) else {
            throw PolicyError(.invalidValue, at: table.child("action"),
                              "\(describe(action)) does not apply to \(spec.name), \(withArticle(spec.kind.rawValue)) field")
        }
        let code = try table.string("code")
        let reason = try table.string("reason")
        if let reason { try checkText(reason, at: table.child("reason")) }
        if action == .keep {
            if code != nil || reason != nil {
                throw PolicyError(.invalidValue, at: path, "keep takes no code or reason")
            }
        } else {
            guard let code else {
                throw PolicyError(.missingKey, at: table.child("code"), "every redaction carries a category code")
            }
            guard let category = context.categories[code] else {
                throw PolicyError(.invalidValue, at: table.child("code"), "unknown category code \"\(code)\"")
            }
            if category.reasonRequired && reason == nil {
                throw PolicyError(.missingKey, at: table.child("reason"), "category \(code) requires a reason")
            }
        }
        try table.finish()
        return FieldRule(action: action, code: code, reason: reason)
    }

    static func describe(_ action: FieldAction) -> String {
        if case .generalise(let how) = action { return "generalise to \(how.name)" }
        return action.name
    }

    /// Which actions each field kind allows.
    static func permitted(_ action: FieldAction, for kind: FieldKind) -> Bool {
        switch (action, kind) {
        case (.keep, _), (.remove, _): return true
        case (.pseudonymise, .text), (.pseudonymise, .place), (.pseudonymise, .list): return true
        case (.generalise(.month), .date), (.generalise(.year), .date): return true
        case (.generalise(.region), .place): return true
        case (.generalise(.ageRange), .age): return true
        default: return false
        }
    }
}
