import Vault
import VaultDisclosure
internal import VaultImaging
internal import VaultPolicy
import VaultGovernance

extension Session {
    /// The edge of an index thumbnail, in pixels.
    static let thumbnailSize = 160

    /// `index.html` and `index.csv` for the items of a bundle (`BundleIndex`), from what the bundle releases:
    /// each released record after the profile's rules, the plan's file hashes and sizes, the categories the
    /// released file masks, and a thumbnail made in the sandbox from the released image (masks applied before
    /// it is scaled down); a file that is not an image gets none.
    /// - Throws: imaging errors naming the item.
    func indexMembers(_ items: [ReleasedItem], productionNumbers numbers: [String], bundleID: String,
                      derivatives: any DerivativeMaking) throws -> [BundleMember] {
        var rows: [BundleIndex.Row] = []
        for (index, item) in items.enumerated() {
            let caseRecord = item.record["case"] as? [String: Any] ?? [:]
            let itemRecord = item.record["item"] as? [String: Any] ?? [:]
            let date = (caseRecord["photographedOn"] as? String) ?? (itemRecord["captureTime"] as? String) ?? ""
            let masked = Set(item.plan.regions.filter(\.masked).map(\.category)).sorted()
            let mediaType: String
            var thumbnailRequest: DerivativeRequest? = nil
            if let request = item.derivativeRequest {
                mediaType = item.plan.fileExtension == "png" ? "image/png" : "image/jpeg"
                thumbnailRequest = request
            } else {
                mediaType = itemRecord["mediaType"] as? String ?? "application/octet-stream"
                if Self.decodableImages.contains(mediaType) { thumbnailRequest = DerivativeRequest() }   // an original masks nothing
            }
            var thumbnail: [UInt8]? = nil
            if var request = thumbnailRequest {
                request.format = .jpeg
                request.maxDimension = Self.thumbnailSize
                request.jpegQuality = 80
                thumbnail = try makeDerivative(itemID: item.plan.item, blobID: item.blobID, blobKey: item.blobKey, request: request,
                                               derivatives: derivatives).bytes
            }
            rows.append(BundleIndex.Row(productionNumber: numbers[index],
                                        file: BundleLayout.itemFile(productionNumber: numbers[index], fileExtension: item.plan.fileExtension),
                                        mediaType: mediaType, size: item.plan.fileSize, sha256: item.plan.fileSHA256, datePhotographed: date,
                                        caseLabel: caseRecord["id"] as? String ?? "", categoriesMasked: masked, thumbnail: thumbnail))
        }
        let policy = vault.state.policy
        let index = BundleIndex(bundle: bundleID, organisation: vault.state.organisation ?? "",
                                categories: policy.categories.mapValues(\.description), rows: rows)
        return [BundleMember(name: BundleLayout.indexHTML, content: .bytes(Array(index.html.utf8))),
                BundleMember(name: BundleLayout.indexCSV, content: .bytes(Array(index.csv.utf8)))]
    }
}
