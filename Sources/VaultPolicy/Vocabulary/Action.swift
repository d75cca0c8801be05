/// What a subject asks to do. The raw value is the spelling used in policy files and traces.
///
/// The first seven are the actions of issue 6 and DESIGN.md ("Policy"). `annotate` and `recordConsent` are
/// finer cuts the default policy needs: adding regions to an item is not the same permission as ingesting it,
/// and recording a witness's consent or protective measures is not the same as ingesting a witness record.
///
/// How the vault maps its commands onto actions:
/// ```
/// ingest          seal a file or record into a compartment (write-only)         ingest, case|witness add
/// view            decrypt and read content of a compartment, including          show, list, case show,
///                 export ITEM -o FILE without --profile (a copy for oneself)    export (no profile)
/// annotate        add or remove regions on an item                              region add
/// record-consent  set a witness's consent list or protective measures           witness consent/measures
/// export          write a release of an item or record under a profile          export --profile P
/// disclose        propose or issue a disclosure to a named recipient            disclose propose|issue
/// approve         approve a disclosure request                                  disclose approve
/// administer      propose, approve or apply a governance operation (quorum)     op propose|approve|apply
/// audit           read and verify the audit log and the store                   audit ..., check
/// ```
public enum Action: String, CaseIterable, Sendable, Hashable, Comparable {
    case ingest
    case view
    case annotate
    case recordConsent = "record-consent"
    case export
    case disclose
    case approve
    case administer
    case audit

    /// Whether the action concerns content in compartments (`true`) or the vault as a whole (`false`:
    /// `administer`, `audit`). Allow rules for content actions must name compartments; rules for vault-wide
    /// actions must not.
    public var concernsContent: Bool {
        switch self {
        case .administer, .audit: return false
        default: return true
        }
    }

    /// Whether the action releases content outside the vault under a redaction profile (`export`,
    /// `disclose`) or approves such a release (`approve`).
    public var isRelease: Bool {
        switch self {
        case .export, .disclose, .approve: return true
        default: return false
        }
    }

    public static func < (lhs: Action, rhs: Action) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
