package dev.sublinear;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.sublinear.storage.AtomicFiles;
import org.junit.jupiter.api.Test;

/**
 * The dependency arrows of design.md: api/worker -> jobs -> training -> optimizer. The optimizer and
 * the training layer never import Spring, so DJL users can take them alone; the API never sees DJL.
 * Of {@code storage} (JDK only), the training layer and the study use {@link AtomicFiles} alone.
 */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.sublinear");

    @Test
    void optimizerDependsOnDjlAndTheJdkOnly() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.optimizer..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..",
                        "dev.sublinear.training..",
                        "dev.sublinear.jobs..",
                        "dev.sublinear.worker..",
                        "dev.sublinear.api..",
                        "dev.sublinear.storage..",
                        "dev.sublinear.config..")
                .check(CLASSES);
    }

    @Test
    void trainingNeverImportsSpringOrOuterLayers() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.training..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..",
                        "dev.sublinear.jobs..",
                        "dev.sublinear.worker..",
                        "dev.sublinear.api..",
                        "dev.sublinear.config..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    @Test
    void jobsNeverDependOnWorkersOrTheApi() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.jobs..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.sublinear.worker..", "dev.sublinear.api..", "dev.sublinear.config..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    @Test
    void apiNeverSeesDjlNorTheTrainingLayer() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.api..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "ai.djl..", "dev.sublinear.training..", "dev.sublinear.optimizer..", "dev.sublinear.worker..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    @Test
    void storageDependsOnTheJdkOnly() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.storage..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..", "ai.djl..", "dev.sublinear.jobs..", "dev.sublinear.training..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    @Test
    void trainingAndTheStudyTakeOnlyAtomicFilesFromStorage() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sublinear.training..", "dev.sublinear.study..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("dev.sublinear.storage..").and(not(belongToAnyOf(AtomicFiles.class))))
                .check(CLASSES);
    }

    @Test
    void theStudyUsesTheTrainingLayerAndNothingOuter() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.study..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..",
                        "dev.sublinear.jobs..",
                        "dev.sublinear.worker..",
                        "dev.sublinear.api..",
                        "dev.sublinear.config..")
                .check(CLASSES);
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.sublinear.study..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.sublinear.study..")
                .check(CLASSES);
    }

    /**
     * Inside {@code jobs}, features build on each other in one direction: common, then tenants, files,
     * models and workers, then the job itself, then the queue that hands jobs to workers.
     */
    @Test
    void jobFeaturesPointOneWay() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("common")
                .definedBy("dev.sublinear.jobs.common..")
                .layer("features")
                .definedBy(
                        "dev.sublinear.jobs.tenants..",
                        "dev.sublinear.jobs.files..",
                        "dev.sublinear.jobs.models..",
                        "dev.sublinear.jobs.workers..")
                .layer("job")
                .definedBy("dev.sublinear.jobs")
                .layer("queue")
                .definedBy("dev.sublinear.jobs.queue..")
                .whereLayer("queue")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("job")
                .mayOnlyBeAccessedByLayers("queue")
                .whereLayer("features")
                .mayOnlyBeAccessedByLayers("job", "queue")
                .whereLayer("common")
                .mayOnlyBeAccessedByLayers("features", "job", "queue")
                .check(CLASSES);
        slices().matching("dev.sublinear.jobs.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    /** A feature's table is reached through its service only. */
    @Test
    void featureStoresArePackagePrivate() {
        classes()
                .that()
                .resideInAnyPackage(
                        "dev.sublinear.jobs.tenants",
                        "dev.sublinear.jobs.files",
                        "dev.sublinear.jobs.models",
                        "dev.sublinear.jobs.workers")
                .and()
                .haveSimpleNameEndingWith("Store")
                .should()
                .notHaveModifier(JavaModifier.PUBLIC)
                .check(CLASSES);
    }

    /** A worker sees the job service through the attempt it claimed, never through the tables. */
    @Test
    void theWorkerReachesJobsThroughItsAttempt() {
        noClasses()
                .that()
                .resideInAPackage("dev.sublinear.worker..")
                .should()
                .dependOnClassesThat(resideInAPackage("dev.sublinear.jobs..")
                        .and(simpleNameEndingWith("Store")
                                .or(simpleName("JobQueue"))
                                .or(simpleName("JobCheckpoints"))
                                .or(simpleName("BaseModels"))))
                .check(CLASSES);
    }
}
