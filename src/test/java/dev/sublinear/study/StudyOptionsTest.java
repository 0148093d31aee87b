package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StudyOptionsTest {

    @Test
    void defaultsToTheFullStudyIntoDocs() {
        ReproductionStudy.Options o = ReproductionStudy.Options.parse(new String[0]);
        assertEquals(StudySettings.full(), o.settings());
        assertEquals(Variant.table().size(), o.variants().size());
        assertEquals(Path.of("docs"), o.out());
        assertNull(o.results());
    }

    @Test
    void theModeAppliesFirstWhereverItStands() {
        ReproductionStudy.Options o = ReproductionStudy.Options.parse(new String[] {
            "--seeds",
            "4,5",
            "--steps",
            "30",
            "--mode",
            "quick",
            "--variants",
            "adam,adafactor",
            "--learning-rate",
            "0.01",
            "--results",
            "r.ser"
        });
        assertEquals("quick", o.settings().mode());
        assertEquals(List.of(4L, 5L), o.settings().seeds());
        assertEquals(30, o.settings().steps());
        assertEquals(0.01f, o.settings().learningRate());
        assertEquals(
                List.of("adam", "adafactor"),
                o.variants().stream().map(Variant::id).toList());
        assertEquals(Path.of("r.ser"), o.results());
    }

    @Test
    void refusesWhatMakesNoSense() {
        for (String[] args : List.of(
                new String[] {"--mode", "slow"},
                new String[] {"--steps"},
                new String[] {"--steps", "0"},
                new String[] {"--seeds", "one"},
                new String[] {"--variants", "adam,sgd"},
                new String[] {"--learning-rate", "-1"},
                new String[] {"--colour", "blue"})) {
            assertNull(ReproductionStudy.Options.parse(args), String.join(" ", args));
        }
    }
}
