import VaultCrypto

extension Policy {
    /// The context string that starts the canonical encoding (and so domain-separates the policy hash).
    public static let canonicalContext = "amanah/v1/policy"

    /// The canonical serialisation of this parsed policy, which `hash` covers. Deterministic and unambiguous:
    /// every string is length-prefixed (4-byte big-endian length, UTF-8), every optional value is preceded by
    /// a presence byte (0 or 1), every list by a 4-byte count; maps and sets are written sorted (strings by
    /// UTF-8 bytes, roles/actions/compartments/record kinds in their declaration order); field rules follow
    /// each record kind's field order; allow and deny rules keep file order (their names and key paths are
    /// part of decision traces). Comments, white space, key order and equivalent spellings leave it unchanged.
    ///
    /// ```
    /// lp("amanah/v1/policy") u32(version) list(classifications)
    /// u32(n) { lp(code) lp(description) bool(reason-required) }                 categories
    /// u32(n) { lp(name) lp(description) bool bool list(always-mask) opt(code) } measures
    /// lp(fallback) u32(n) { lp(place key) lp(region) }                          places
    /// u32(n) { lp(role) lp(description) }                                       role descriptions
    /// u32(n) { allow rule }   u32(n) { deny rule }   disclosure   u32(n) { profile }
    /// ```
    public func canonicalEncoding() -> [UInt8] {
        var out = CanonicalWriter()
        out.string(Policy.canonicalContext)
        out.count(version)
        out.strings(classifications)

        let codes = CanonicalWriter.sorted(Array(categories.keys))
        out.count(codes.count)
        for code in codes {
            guard let category = categories[code] else { continue }
            out.string(category.code)
            out.string(category.description)
            out.bool(category.reasonRequired)
        }

        let measureNames = CanonicalWriter.sorted(Array(measures.keys))
        out.count(measureNames.count)
        for name in measureNames {
            guard let measure = measures[name] else { continue }
            out.string(measure.name)
            out.string(measure.description)
            out.bool(measure.removeIdentity)
            out.bool(measure.withholdOriginals)
            out.strings(measure.alwaysMask)
            out.optional(measure.code)
        }

        out.string(places.fallback.rawValue)
        let placeKeys = CanonicalWriter.sorted(Array(places.regions.keys))
        out.count(placeKeys.count)
        for key in placeKeys {
            out.string(key)
            out.string(places.regions[key] ?? "")
        }

        let described = roleDescriptions.keys.sorted()
        out.count(described.count)
        for role in described {
            out.string(role.rawValue)
            out.string(roleDescriptions[role] ?? "")
        }

        out.count(allowRules.count)
        for rule in allowRules {
            out.string(rule.name)
            out.string(rule.keyPath)
            out.string(rule.role.rawValue)
            out.strings(rule.actions.sorted().map(\.rawValue))
            out.strings(rule.compartments.sorted().map(\.rawValue))
            out.optionalSet(rule.profiles)
            out.optionalSet(rule.cases)
            out.optional(rule.maxClassification)
            out.bool(rule.requiresConsent)
            out.optionalBool(rule.revealsIdentity)
            out.strings(rule.obligations.map(\.description))
        }

        out.count(denyRules.count)
        for rule in denyRules {
            out.string(rule.name)
            out.string(rule.keyPath)
            out.optionalSet(rule.roles.map { Set($0.map(\.rawValue)) })
            out.strings(rule.actions.sorted().map(\.rawValue))
            out.optionalSet(rule.compartments.map { Set($0.map(\.rawValue)) })
            out.optionalSet(rule.profiles)
            out.optionalSet(rule.cases)
            out.optional(rule.minClassification)
            out.optionalBool(rule.revealsIdentity)
            out.optionalBool(rule.revealsSource)
            out.string(rule.reason)
        }

        out.count(disclosure.approvals)
        out.bool(disclosure.distinctFromRequester)
        out.optional(disclosure.identityApprover?.rawValue)
        out.bool(disclosure.identityConsent)
        out.bool(disclosure.courtOrderOverride)

        let profileNames = CanonicalWriter.sorted(Array(profiles.keys))
        out.count(profileNames.count)
        for name in profileNames {
            guard let profile = profiles[name] else { continue }
            out.string(profile.name)
            out.string(profile.description)
            out.bool(profile.images.releaseOriginals)
            out.bool(profile.images.stripMetadata)
            out.strings(profile.images.maskCategories)
            out.strings(profile.images.unmaskWithConsent)
            // Only when set, under its name, so that policies without it keep their hash.
            if !profile.images.releaseReasons.isEmpty {
                out.string("release-reasons")
                out.strings(profile.images.releaseReasons)
            }
            if profile.images.watermark { out.string("watermark") }
            for kind in RecordKind.released {
                out.string(kind.rawValue)
                for spec in kind.releasedFields {
                    out.string(spec.name)
                    let rule = profile.rule(for: kind, field: spec.name)
                    out.string(rule?.action.name ?? "")
                    if case let .generalise(how)? = rule?.action { out.string(how.name) } else { out.string("") }
                    out.optional(rule?.code)
                    out.optional(rule?.reason)
                }
            }
        }
        return out.bytes
    }
}

/// Writes the canonical encoding's primitives.
struct CanonicalWriter {
    private(set) var bytes: [UInt8] = []

    static func sorted(_ strings: [String]) -> [String] {
        strings.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    mutating func string(_ text: String) { bytes.appendLengthPrefixed(text) }

    mutating func count(_ value: Int) {
        let clamped = UInt32(clamping: value)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: clamped >> UInt32(shift))) }
    }

    mutating func bool(_ flag: Bool) { bytes.append(flag ? 1 : 0) }

    mutating func strings(_ list: [String]) {
        count(list.count)
        for text in list { string(text) }
    }

    mutating func optional(_ text: String?) {
        if let text {
            bytes.append(1)
            string(text)
        } else {
            bytes.append(0)
        }
    }

    mutating func optionalBool(_ flag: Bool?) {
        if let flag {
            bytes.append(1)
            bool(flag)
        } else {
            bytes.append(0)
        }
    }

    mutating func optionalSet(_ set: Set<String>?) {
        if let set {
            bytes.append(1)
            strings(CanonicalWriter.sorted(Array(set)))
        } else {
            bytes.append(0)
        }
    }
}
