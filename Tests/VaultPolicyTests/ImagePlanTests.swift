import Testing
@testable import VaultPolicy

@Suite struct ImagePlanTests {
    let policy = Policy.builtIn
    let regions = [
        RegionFacts(id: "r1", category: "A", reason: "face of the witness"),
        RegionFacts(id: "r2", category: "C", reason: "street sign"),
        RegionFacts(id: "r3", category: "E", reason: "name tag of a guard"),
    ]

    func plan(_ profile: String, recipient: String? = "demo-tribunal", sources: [WitnessFacts],
              regions: [RegionFacts]? = nil) throws -> ImagePlan {
        try policy.imagePlan(profile: profile, recipient: recipient, itemLabel: "item 1", regions: regions ?? self.regions,
                             sources: sources)
    }

    /// Issue 16: a category-A region is left unmasked only when it names the witness it shows and that
    /// witness consented to the recipient; the sources' consent decides nothing about it.
    @Test func tribunalProtectedMasksCategoryAUnlessTheWitnessShownConsented() throws {
        let refusing = try plan("tribunal-protected", sources: [WitnessFacts(pseudonym: "W-0001", consent: ["other"])])
        #expect(!refusing.releaseOriginal && refusing.stripMetadata)
        #expect(refusing.maskedRegionIDs == ["r1"])
        // The log names the category, never the region's own reason.
        #expect(refusing.log == [
            RedactionLogEntry(record: "item 1", field: "region r1", action: "mask", code: "A", reason: "witness identity"),
            RedactionLogEntry(record: "item 1", field: "metadata", action: "strip", code: nil,
                              reason: "a fresh image file carries no metadata"),
        ])
        // Every source consented, but the region names no one: it stays masked (the collector's attack).
        let sourcesConsent = try plan("tribunal-protected", sources: [WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])])
        #expect(sourcesConsent.maskedRegionIDs == ["r1"])
        #expect(sourcesConsent.regions[0].why == "it names no witness, so no one's consent can unmask it")
        // The region names W-0005, who consented: unmasked, whatever the sources said.
        var named = regions
        named[0].witness = "W-0005"
        let shown = ["W-0005": WitnessFacts(pseudonym: "W-0005", consent: ["demo-tribunal"])]
        let consenting = try policy.imagePlan(profile: "tribunal-protected", recipient: "demo-tribunal", itemLabel: "item 1", regions: named,
                                              sources: [WitnessFacts(pseudonym: "W-0001", consent: ["other"])], shown: shown)
        #expect(consenting.maskedRegionIDs == [])
        #expect(consenting.regions[0].why.contains("consented") && !consenting.regions[0].why.contains("W-0005"))
        // W-0005 did not consent to this recipient, or there is no recipient: masked.
        let refused = try policy.imagePlan(profile: "tribunal-protected", recipient: "demo-tribunal", itemLabel: "item 1", regions: named,
                                           sources: [], shown: ["W-0005": WitnessFacts(pseudonym: "W-0005", consent: ["other"])])
        #expect(refused.maskedRegionIDs == ["r1"] && refused.regions[0].why == "the witness it shows has not consented to demo-tribunal")
        #expect(try policy.imagePlan(profile: "tribunal-protected", recipient: nil, itemLabel: "item 1", regions: named, sources: [],
                                     shown: shown).maskedRegionIDs == ["r1"])
        // The shown witness's own protective measure forces the mask.
        let distorted = ["W-0005": WitnessFacts(pseudonym: "W-0005", consent: ["demo-tribunal"], protectiveMeasures: ["image-distortion"])]
        #expect(try policy.imagePlan(profile: "tribunal-protected", recipient: "demo-tribunal", itemLabel: "item 1", regions: named, sources: [],
                                     shown: distorted).maskedRegionIDs == ["r1"])
    }

    @Test func imageDistortionForcesTheMaskDespiteConsent() throws {
        let source = WitnessFacts(pseudonym: "W-0003", consent: ["demo-tribunal"], protectiveMeasures: ["image-distortion"])
        let result = try plan("tribunal-protected", sources: [source])
        #expect(result.maskedRegionIDs == ["r1"])
        #expect(result.regions[0].why.contains("image-distortion") && !result.regions[0].why.contains("W-0003"))
    }

    @Test func publicMasksEveryRegion() throws {
        let result = try plan("public", recipient: nil, sources: [WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])])
        #expect(result.maskedRegionIDs == ["r1", "r2", "r3"])
        #expect(result.log.map { $0.code ?? "-" } == ["A", "C", "E", "-"])
    }

    @Test func tribunalFullReleasesTheOriginal() throws {
        let result = try plan("tribunal-full", sources: [WitnessFacts(pseudonym: "W-0001", consent: ["demo-tribunal"])])
        #expect(result.releaseOriginal && !result.stripMetadata)
        #expect(result.maskedRegionIDs == [])
        #expect(result.log == [])
        #expect(throws: RedactionError.originalForbidden(witness: "W-0002", measure: "pseudonym-only")) {
            _ = try plan("tribunal-full", sources: [WitnessFacts(pseudonym: "W-0002", protectiveMeasures: ["pseudonym-only"])])
        }
        #expect(throws: RedactionError.originalForbidden(witness: "W-0003", measure: "image-distortion")) {
            _ = try plan("tribunal-full", sources: [WitnessFacts(pseudonym: "W-0003", protectiveMeasures: ["image-distortion"])])
        }
        // image-distortion without a category-A region does not block the original.
        #expect(try plan("tribunal-full", sources: [WitnessFacts(pseudonym: "W-0003", protectiveMeasures: ["image-distortion"])],
                         regions: [regions[1]]).releaseOriginal)
    }

    @Test func categoriesAndReasonsAreChecked() {
        #expect(throws: RedactionError.unknownCategory("Z")) {
            _ = try plan("public", sources: [], regions: [RegionFacts(id: "r9", category: "Z", reason: "x")])
        }
        #expect(throws: RedactionError.reasonRequired(region: "r9", code: "E")) {
            _ = try plan("public", sources: [], regions: [RegionFacts(id: "r9", category: "E", reason: "  ")])
        }
        #expect(throws: RedactionError.unknownMeasure("relocated")) {
            _ = try plan("public", sources: [WitnessFacts(pseudonym: "W-1", protectiveMeasures: ["relocated"])])
        }
        #expect(throws: RedactionError.unknownProfile("raw")) { _ = try plan("raw", sources: []) }
    }

    @Test func aRegionWithoutReasonIsLoggedWithTheCategoryDescription() throws {
        let result = try plan("public", sources: [], regions: [RegionFacts(id: "r4", category: "B", reason: "")])
        #expect(result.log.first?.reason == "identity of a third person")
    }
}
