import Foundation
import VaultImaging

/// The names and layout of a disclosure bundle (DESIGN.md, "Disclosure bundles"): the one definition of
/// every path inside the archive and of production numbers, shared by the writer (`Session.issue`,
/// `ReleaseBuilder`, `VERIFY.txt`) and by `BundleVerifier`. Changing a name here changes the bundle format.
public enum BundleLayout {
    // MARK: Folders

    /// Released files, one per item: `items/<production no>.<extension>`.
    public static let itemsFolder = "items"
    /// Released (redacted) records, one per item: `records/<production no>.json`.
    public static let recordsFolder = "records"
    /// This release's audit events and the checkpoint that covers them.
    public static let custodyFolder = "custody"
    /// Public keys of the issuer and the approvers (convenience only).
    public static let keysFolder = "keys"
    /// The signed release plan.
    public static let requestFolder = "request"
    /// Every folder of a bundle.
    public static let folders = [custodyFolder, itemsFolder, keysFolder, recordsFolder, requestFolder]

    // MARK: Files at the root

    /// The manifest (`BundleManifest`).
    public static let manifest = "manifest.json"
    /// The issuer's minisign signature of the manifest.
    public static let manifestSignature = manifest + ".minisig"
    /// SHA-256 of every file of the archive but itself and its own signature, in `sha256sum` format, so that
    /// comparing the archive's listing with it finds a missing or an extra file with stock tools.
    public static let checksums = "SHA256SUMS"
    /// The issuer's minisign signature of `SHA256SUMS`.
    public static let checksumsSignature = checksums + ".minisig"
    /// How to verify the bundle with standard tools, in English and Arabic.
    public static let verifyInstructions = "VERIFY.txt"
    /// A static page listing the released items (`BundleIndex.html`): thumbnails, case labels, what was
    /// masked, hashes; no script and no external resource.
    public static let indexHTML = "index.html"
    /// The same as a table for a court's e-filing system (`BundleIndex.csv`).
    public static let indexCSV = "index.csv"
    /// The files `SHA256SUMS` does not list: itself and its signature. (Bundles issued before issue 20 did
    /// not list the manifest's signature either; `BundleVerifier` accepts that.)
    public static let unlistedInChecksums: Set<String> = [checksums, checksumsSignature]

    // MARK: Files in folders

    /// The release plan the approvers signed (`ReleasePlan`, byte for byte).
    public static let plan = requestFolder + "/plan.json"
    /// The checkpoint (C2SP signed note) the custody proofs lead to: one the custodians cosigned, with the
    /// issuer's signature added.
    public static let custodyCheckpoint = custodyFolder + "/checkpoint.txt"
    /// The custody events with their inclusion proofs.
    public static let custodyEvents = custodyFolder + "/events.json"
    /// The proofs of the issuer's and approvers' roles (`RoleGrantProof`).
    public static let custodyGrants = custodyFolder + "/grants.json"
    /// The issuer's key in minisign format.
    public static let issuerMinisignKey = keysFolder + "/issuer.minisign.pub"
    /// The issuer's Amanah public key line.
    public static let issuerKey = keysFolder + "/issuer.amanah.pub"
    /// The approvers' Amanah public key lines, one a line.
    public static let approverKeys = keysFolder + "/approvers.amanah.pub"

    // MARK: Production numbers and item files

    /// A bundle's id: the recipient's code and the bundle's number in the recipient's range
    /// (`ICC-0001`).
    public static func bundleID(recipientCode: String, bundleNumber: Int) -> String {
        String(format: "%@-%04d", recipientCode, bundleNumber)
    }

    /// The production number of the `item`th item (from 1) of bundle `bundleID` (`ICC-0001-0001`).
    public static func productionNumber(bundleID: String, item: Int) -> String {
        String(format: "%@-%04d", bundleID, item)
    }

    /// The released file of the item with production number `productionNumber`.
    public static func itemFile(productionNumber: String, fileExtension: String) -> String {
        itemFilePrefix(productionNumber: productionNumber) + fileExtension
    }

    /// What the name of the released file of `productionNumber` starts with (before its extension).
    public static func itemFilePrefix(productionNumber: String) -> String {
        "\(itemsFolder)/\(productionNumber)."
    }

    /// Whether `name` is a released file (in `items/`); those stream and are never held in memory.
    public static func isItemFile(_ name: String) -> Bool {
        name.hasPrefix(itemsFolder + "/")
    }

    /// The released record of the item with production number `productionNumber`.
    public static func recordFile(productionNumber: String) -> String {
        "\(recordsFolder)/\(productionNumber).json"
    }

    /// The extension of a released derivative.
    public static func derivativeExtension(_ format: DerivativeRequest.Format) -> String {
        format == .png ? "png" : "jpg"
    }

    /// The extension of a released original: from its media type when known, else from its file name when
    /// safe (1 to 8 ASCII letters or digits), else `bin`.
    public static func originalExtension(fileName: String, mediaType: String) -> String {
        let known: [String: String] = ["image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
                                       "image/tiff": "tif", "image/gif": "gif", "application/pdf": "pdf", "video/mp4": "mp4",
                                       "video/quicktime": "mov", "application/zip": "zip"]
        if let ext = known[mediaType] { return ext }
        if let dot = fileName.lastIndex(of: ".") {
            let ext = fileName[fileName.index(after: dot)...].lowercased()
            if (1...8).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { return ext }
        }
        return "bin"
    }
}
