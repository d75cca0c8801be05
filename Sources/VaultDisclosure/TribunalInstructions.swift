/// What a tribunal's clerk reads to check a bundle with stock tools (issue 20), in English and Arabic saying
/// the same things: `VERIFY.txt` inside the bundle, and `NAME.txt` beside `NAME.tar.age` (`ClerkNote`),
/// readable before anything is decrypted. The steps are the same commands for both: age, a comparison of the
/// archive's listing with `SHA256SUMS` (so a missing or an added file fails without Amanah), minisign and
/// sha256sum; for Linux and macOS (bash or zsh) and for Windows (PowerShell with tar.exe, age.exe and
/// minisign.exe). Neither text holds a case detail or a person's name.
public enum VerifyText {
    /// The Linux/macOS command of the listing step: prints "file list OK" only when the archive's files (its
    /// folders aside) are exactly those `SHA256SUMS` lists, besides itself and its signature. Run in the
    /// unpacked folder, with `bundle.tar` one folder up.
    public static let listingCommandPOSIX = "tar -tf ../bundle.tar | grep -v '/$' | grep -vxF -e \(BundleLayout.checksums) -e \(BundleLayout.checksumsSignature) | LC_ALL=C sort | cmp - <(cut -c67- \(BundleLayout.checksums) | LC_ALL=C sort) && echo \"file list OK\""
    /// The PowerShell command of the listing step: prints nothing when the lists are the same.
    public static let listingCommandPowerShell = "Compare-Object (tar.exe -tf ..\\bundle.tar | Where-Object { $_ -notmatch '/$' -and $_ -cne '\(BundleLayout.checksums)' -and $_ -cne '\(BundleLayout.checksumsSignature)' }) (Get-Content \(BundleLayout.checksums) | ForEach-Object { $_.Substring(66) })"
    /// The PowerShell command of the hash step: prints `FAILED: NAME` for each file whose SHA-256 differs.
    public static let hashCommandPowerShell = "Get-Content \(BundleLayout.checksums) | ForEach-Object { $f = $_.Substring(66); if ((Get-FileHash -Algorithm SHA256 -LiteralPath $f).Hash -ne $_.Substring(0, 64)) { \"FAILED: $f\" } }"

    /// `VERIFY.txt`.
    /// - Parameters: bundle: the bundle's id (`DT-0001`); issuerKeyID: the issuer's key id as Amanah prints it
    ///   (16 hex digits); minisignKeyID: the same id as minisign prints it (bytes reversed, upper case).
    public static func text(bundle: String, issuerKeyID: String, minisignKeyID: String) -> String {
        english(bundle: bundle, issuerKeyID: issuerKeyID, minisignKeyID: minisignKeyID) + "\n" + arabic(bundle: bundle, issuerKeyID: issuerKeyID, minisignKeyID: minisignKeyID)
    }

    static func english(bundle: String, issuerKeyID: String, minisignKeyID: String) -> String {
        """
        How to verify this bundle (Amanah disclosure bundle \(bundle))
        ================================================================

        You need age, minisign, sha256sum and tar (on Windows: age.exe, minisign.exe, tar.exe and PowerShell),
        and the issuer's public key that you received when you were registered (key id \(issuerKeyID), which
        minisign prints as \(minisignKeyID)), saved as issuer.pub beside the encrypted bundle. Do not rely on the
        copy in \(BundleLayout.keysFolder)/ alone: compare its key id with the one you received.

        In the commands, replace BUNDLE.tar.age with the bundle's file name, YOUR-AGE-IDENTITY-FILE with your
        age identity file (the secret key made at registration) and YOUR-RECIPIENT-KIT.json with the recipient
        kit you received at registration.

        Linux and macOS (a terminal, in the folder that holds the bundle):
        1. Decrypt and unpack. Success: no message.
             age -d -i YOUR-AGE-IDENTITY-FILE -o bundle.tar BUNDLE.tar.age
             mkdir bundle && tar -xf bundle.tar -C bundle && cd bundle
        2. Check that the archive holds exactly the files \(BundleLayout.checksums) lists, none missing and none
           added. Success: "file list OK".
             \(listingCommandPOSIX)
        3. Check both signatures with the issuer key you registered. Success: "Signature and comment signature
           verified" for each.
             minisign -Vm \(BundleLayout.checksums) -p ../issuer.pub
             minisign -Vm \(BundleLayout.manifest) -p ../issuer.pub
        4. Check every file. Success: every line ends in "OK".
             sha256sum -c \(BundleLayout.checksums)

        Windows (PowerShell, in the folder that holds the bundle):
        1. Decrypt and unpack. Success: no message.
             age.exe -d -i YOUR-AGE-IDENTITY-FILE -o bundle.tar BUNDLE.tar.age
             mkdir bundle; tar.exe -xf bundle.tar -C bundle; cd bundle
        2. Check the file list. Success: no output.
             \(listingCommandPowerShell)
        3. Check both signatures. Success: "Signature and comment signature verified" for each.
             minisign.exe -Vm \(BundleLayout.checksums) -p ..\\issuer.pub
             minisign.exe -Vm \(BundleLayout.manifest) -p ..\\issuer.pub
        4. Check every file. Success: no output.
             \(hashCommandPowerShell)

        With Amanah (no vault needed), which also checks the approvals, that released originals are the
        files the vault holds, and the custody events against the checkpoint the custodians cosigned. Give it
        the recipient kit you received at registration: approvals and custody count only when they chain to
        it. Success: its last line is "verified".
             amanah bundle verify BUNDLE.tar.age -i YOUR-AGE-IDENTITY-FILE --kit YOUR-RECIPIENT-KIT.json

        Every step must succeed. Any failure means the bundle was changed or is incomplete: do not rely on
        it, and tell the issuer.

        """
    }

    static func arabic(bundle: String, issuerKeyID: String, minisignKeyID: String) -> String {
        """
        كيفية التحقق من هذه الحزمة (حزمة إفصاح من أمانة \(bundle))
        ================================================================

        تحتاجون إلى age وminisign وsha256sum وtar (وفي ويندوز: age.exe وminisign.exe وtar.exe وPowerShell)،
        وإلى المفتاح العام للجهة المُصدِرة الذي تسلّمتموه عند تسجيلكم (معرّف المفتاح \(issuerKeyID)، ويطبعه
        minisign بالشكل \(minisignKeyID))، محفوظًا باسم issuer.pub بجانب الحزمة المشفّرة. لا تعتمدوا على النسخة
        الموجودة في المجلد \(BundleLayout.keysFolder)/ وحدها: قارنوا معرّف مفتاحها بالمعرّف الذي تسلّمتموه.

        في الأوامر، استبدلوا BUNDLE.tar.age باسم ملف الحزمة، وYOUR-AGE-IDENTITY-FILE باسم ملف هويتكم في age
        (المفتاح السرّي الذي أُنشئ عند التسجيل)، وYOUR-RECIPIENT-KIT.json باسم ملف التسجيل (recipient kit)
        الذي تسلّمتموه عند التسجيل.

        لينكس وماك (في الطرفية، داخل المجلد الذي فيه الحزمة):
        ١. فكّ التشفير واستخراج الملفات. النجاح: لا تظهر أي رسالة.
             age -d -i YOUR-AGE-IDENTITY-FILE -o bundle.tar BUNDLE.tar.age
             mkdir bundle && tar -xf bundle.tar -C bundle && cd bundle
        ٢. التأكد من أن الأرشيف يحوي الملفات المذكورة في \(BundleLayout.checksums) بالضبط، فلا ملف ناقص ولا ملف
           زائد. النجاح: تظهر عبارة "file list OK".
             \(listingCommandPOSIX)
        ٣. التحقق من التوقيعين بمفتاح الجهة المُصدِرة المسجَّل لديكم. النجاح: تظهر عبارة "Signature and
           comment signature verified" لكلٍّ منهما.
             minisign -Vm \(BundleLayout.checksums) -p ../issuer.pub
             minisign -Vm \(BundleLayout.manifest) -p ../issuer.pub
        ٤. التحقق من كل ملف. النجاح: ينتهي كل سطر بكلمة "OK".
             sha256sum -c \(BundleLayout.checksums)

        ويندوز (في PowerShell، داخل المجلد الذي فيه الحزمة):
        ١. فكّ التشفير واستخراج الملفات. النجاح: لا تظهر أي رسالة.
             age.exe -d -i YOUR-AGE-IDENTITY-FILE -o bundle.tar BUNDLE.tar.age
             mkdir bundle; tar.exe -xf bundle.tar -C bundle; cd bundle
        ٢. التأكد من قائمة الملفات. النجاح: لا يظهر أي ناتج.
             \(listingCommandPowerShell)
        ٣. التحقق من التوقيعين. النجاح: تظهر عبارة "Signature and comment signature verified" لكلٍّ منهما.
             minisign.exe -Vm \(BundleLayout.checksums) -p ..\\issuer.pub
             minisign.exe -Vm \(BundleLayout.manifest) -p ..\\issuer.pub
        ٤. التحقق من كل ملف. النجاح: لا يظهر أي ناتج.
             \(hashCommandPowerShell)

        باستخدام أمانة (دون الحاجة إلى الخزنة): يتحقق أيضًا من الموافقات، ومن أن الملفات الأصلية المسلَّمة هي
        ذاتها الملفات المحفوظة في الخزنة، ومن أحداث سلسلة الحيازة مقابل نقطة التحقق التي وقّعها الأمناء. أعطوه
        ملف التسجيل الذي تسلّمتموه عند تسجيلكم: لا يُعتدّ بالموافقات ولا بسلسلة الحيازة إلا إذا ارتبطت به.
        النجاح: السطر الأخير من ناتجه هو "verified".
             amanah bundle verify BUNDLE.tar.age -i YOUR-AGE-IDENTITY-FILE --kit YOUR-RECIPIENT-KIT.json

        يجب أن تنجح كل خطوة. أي فشل يعني أن الحزمة عُدِّلت أو أنها ناقصة: لا تعتمدوا عليها، وأبلغوا الجهة
        المُصدِرة.

        """
    }
}

/// `NAME.txt`, written beside `NAME.tar.age` by `disclose issue` (issue 20): what the file is, who issued it,
/// the production numbers it holds, and the steps of `VERIFY.txt`, readable before anything is decrypted.
/// It names no case, no person and nothing the bundle's profile withholds.
public enum ClerkNote {
    /// The note's name for a bundle written to `output`: the output's name with `.txt` in place of `.tar.age`
    /// (or appended, for another name).
    public static func path(forBundle output: String) -> String {
        output.hasSuffix(".tar.age") ? String(output.dropLast(".tar.age".count)) + ".txt" : output + ".txt"
    }

    /// The note.
    /// - Parameters: bundleFile: the bundle's file name (no folder); bundle: its id; issued: the issue's date
    ///   (`YYYY-MM-DD`, UTC); issuerKeyID, fingerprint, minisignKeyID: the issuer's key in Amanah's two forms and
    ///   minisign's; productionNumbers: the bundle's, in order (gap-free).
    public static func text(bundleFile: String, bundle: String, issued: String, issuerKeyID: String, fingerprint: String,
                            minisignKeyID: String, productionNumbers: [String]) -> String {
        let first = productionNumbers.first ?? "", last = productionNumbers.last ?? ""
        let count = productionNumbers.count
        let range = count == 1 ? first : "\(first) to \(last)"
        let rangeArabic = count == 1 ? first : "من \(first) إلى \(last)"
        let english = """
        Amanah disclosure bundle \(bundle): what you received
        ================================================================

        \(bundleFile) is an encrypted archive of evidence released to you: \(count == 1 ? "1 item" : "\(count) items"), production
        number\(count == 1 ? "" : "s") \(range). It opens only with your age identity. It was issued on \(issued) (UTC)
        by the key with id \(issuerKeyID) (fingerprint \(fingerprint)).

        Before anything else, check that this key id and fingerprint are those of the issuer in the recipient
        kit you received at registration. If they are not, stop, and contact the issuer through the channel
        you registered with.

        """
        let arabic = """
        حزمة إفصاح من أمانة \(bundle): ما الذي تسلّمتموه
        ================================================================

        الملف \(bundleFile) أرشيف مشفَّر يحوي أدلة سُلِّمت إليكم: عدد المواد \(count)، بأرقام الإنتاج \(rangeArabic).
        لا يُفتح إلا بهويتكم في age. أُصدر بتاريخ \(issued) (بالتوقيت العالمي) بالمفتاح ذي المعرّف \(issuerKeyID)
        (البصمة \(fingerprint)).

        قبل أي خطوة، تأكدوا من أن معرّف المفتاح وبصمته هذين هما ذاتهما الواردان للجهة المُصدِرة في ملف التسجيل
        الذي تسلّمتموه عند تسجيلكم. وإن لم يكونا كذلك فتوقّفوا، وتواصلوا مع الجهة المُصدِرة عبر القناة التي
        سُجِّلتم بها.

        """
        return english + "\n" + VerifyText.english(bundle: bundle, issuerKeyID: issuerKeyID, minisignKeyID: minisignKeyID)
            + "\n" + arabic + "\n" + VerifyText.arabic(bundle: bundle, issuerKeyID: issuerKeyID, minisignKeyID: minisignKeyID)
    }
}
