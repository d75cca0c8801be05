/// What a release does with one item's image: the original or a derivative, metadata, and every region.
public struct ImagePlan: Sendable, Equatable {
    /// Release the original bytes unchanged (no masks possible).
    public let releaseOriginal: Bool
    /// Derivative without any metadata.
    public let stripMetadata: Bool
    /// One decision per region, in the order given.
    public let regions: [RegionDecision]
    /// Log entries: one `mask` per masked region, one `strip` for the metadata of a derivative.
    public let log: [RedactionLogEntry]

    /// The ids of the regions to fill.
    public var maskedRegionIDs: [String] { regions.filter(\.masked).map(\.regionID) }
}

extension Policy {
    /// The image plan for releasing an item under `profile` to `recipient`.
    ///
    /// Derivatives (`originals = false`): a region is masked when its category is in the profile's `mask`,
    /// unless the category is in `unmask-with-consent`, the recipient is named, the region names the witness
    /// it shows and that witness consented to the recipient (a region that names no one stays masked; the
    /// sources' consent decides nothing about someone else's face; the release then reveals an identity, which
    /// the policy makes need the identity approver). A measure with `always-mask` of a source, or of a witness
    /// a region shows, masks those categories in any case (even if the profile does not mask them). Originals (`originals = true`): nothing is masked, and a
    /// source's `withhold-originals` or `always-mask` (for a category the item has) is refused.
    ///
    /// - Parameters:
    ///   - itemLabel: the item's label for the log.
    ///   - regions: the item's regions.
    ///   - sources: the item's source witnesses (case-compartment facts).
    ///   - shown: the witnesses named by the item's regions, by pseudonym (case-compartment facts).
    /// - Throws: `RedactionError.unknownProfile`, `.unknownCategory`, `.reasonRequired`, `.unknownMeasure`,
    ///   `.originalForbidden`.
    public func imagePlan(profile name: String, recipient: String?, itemLabel: String, regions: [RegionFacts],
                          sources: [WitnessFacts], shown: [String: WitnessFacts] = [:]) throws(RedactionError) -> ImagePlan {
        guard let profile = profiles[name] else { throw .unknownProfile(name) }
        var forced: [String: (witness: String, measure: String)] = [:]  // category → who forces its mask
        var withheldBy: (witness: String, measure: String)?
        for source in sources + shown.keys.sorted().compactMap({ shown[$0] }) {
            for measureName in source.protectiveMeasures {
                guard let found = measure(named: measureName) else { throw .unknownMeasure(measureName) }
                for code in found.alwaysMask where forced[code] == nil { forced[code] = (source.pseudonym, found.name) }
                if found.withholdOriginals && withheldBy == nil { withheldBy = (source.pseudonym, found.name) }
            }
        }
        for region in regions {
            guard let category = categories[region.category] else { throw .unknownCategory(region.category) }
            if category.reasonRequired && TextNormalisation.normalise(region.reason).isEmpty {
                throw .reasonRequired(region: region.id, code: region.category)
            }
        }

        if profile.images.releaseOriginals {
            if let withheldBy { throw .originalForbidden(witness: withheldBy.witness, measure: withheldBy.measure) }
            for region in regions {
                if let by = forced[region.category] { throw .originalForbidden(witness: by.witness, measure: by.measure) }
            }
            let decisions = regions.map {
                RegionDecision(regionID: $0.id, category: $0.category, masked: false,
                               why: "profile \(name) releases the original unchanged")
            }
            return ImagePlan(releaseOriginal: true, stripMetadata: false, regions: decisions, log: [])
        }

        var decisions: [RegionDecision] = []
        var log: [RedactionLogEntry] = []
        for region in regions {
            let masked: Bool
            let why: String
            // The reasons name no witness: they travel in the plan, which a bundle carries.
            if let by = forced[region.category] {
                (masked, why) = (true, "a protective measure (\(by.measure)) forces category \(region.category) masked")
            } else if profile.images.maskCategories.contains(region.category) {
                if profile.images.unmaskWithConsent.contains(region.category), let recipient {
                    if let witness = region.witness, let facts = shown[witness], facts.consents(to: recipient) {
                        (masked, why) = (false, "the witness it shows consented to \(recipient); revealing them needs the identity approver's approval")
                    } else if region.witness == nil {
                        (masked, why) = (true, "it names no witness, so no one's consent can unmask it")
                    } else {
                        (masked, why) = (true, "the witness it shows has not consented to \(recipient)")
                    }
                } else {
                    (masked, why) = (true, "profile \(name) masks category \(region.category)")
                }
            } else {
                (masked, why) = (false, "profile \(name) does not mask category \(region.category)")
            }
            decisions.append(RegionDecision(regionID: region.id, category: region.category, masked: masked, why: why))
            if masked {
                // The region's own reason is internal and never enters a log that leaves the vault, unless the
                // profile releases the reasons of its category (`release-reasons`).
                let description = categories[region.category]?.description ?? "category \(region.category)"
                let reason = profile.images.releaseReasons.contains(region.category)
                    ? description + ": " + TextNormalisation.normalise(region.reason) : description
                log.append(RedactionLogEntry(record: itemLabel, field: "region \(region.id)", action: "mask",
                                             code: region.category, reason: reason))
            }
        }
        log.append(RedactionLogEntry(record: itemLabel, field: "metadata", action: "strip", code: nil,
                                     reason: "a fresh image file carries no metadata"))
        return ImagePlan(releaseOriginal: false, stripMetadata: true, regions: decisions, log: log)
    }
}
