package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.IgnoreRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.wire.EntryKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IgnoreRulesTest {
    @TempDir
    Path tmp;

    @Test
    void patternsFollowGitignoreAndTheLastOneThatMatchesDecides() {
        IgnoreRules r = IgnoreRules.parse(List.of(
                "# build outputs",
                "",
                "*.log",
                "!keep.log",
                "node_modules/",
                "/dist",
                "docs/out",
                "**/cache/**",
                "secret?.txt",
                "tmp[0-9]"));
        assertThat(r.ignored("build.log", false)).isTrue();
        assertThat(r.ignored("a/b/deep.log", false)).isTrue();
        assertThat(r.ignored("keep.log", false)).isFalse(); // taken back in
        assertThat(r.ignored("node_modules", true)).isTrue();
        assertThat(r.ignored("web/node_modules", true)).isTrue();
        assertThat(r.ignored("node_modules", false)).isFalse(); // a file of that name: directories only
        assertThat(r.ignored("dist", true)).isTrue();
        assertThat(r.ignored("web/dist", true)).isFalse(); // anchored at the root
        assertThat(r.ignored("docs/out", true)).isTrue();
        assertThat(r.ignored("x/docs/out", true)).isFalse();
        assertThat(r.ignored("a/cache/b/c", false)).isTrue();
        assertThat(r.ignored("secret1.txt", false)).isTrue();
        assertThat(r.ignored("secret12.txt", false)).isFalse();
        assertThat(r.ignored("tmp7", false)).isTrue();
        assertThat(r.ignored("tmpx", false)).isFalse();
        assertThat(r.ignored("src/main.c", false)).isFalse();
        assertThat(IgnoreRules.parse(List.of("# nothing", "  ")).isEmpty()).isTrue();
    }

    @Test
    void aWorkspaceListingLeavesOutWhatItsDroverignoreNamesAndWalksNoIgnoredDirectory() throws Exception {
        Files.writeString(tmp.resolve(".droverignore"), "build/\n*.log\n");
        Files.createDirectories(tmp.resolve("build/deep"));
        Files.writeString(tmp.resolve("build/deep/out.o"), "o");
        Files.writeString(tmp.resolve("run.log"), "log");
        Files.createDirectories(tmp.resolve("src"));
        Files.writeString(tmp.resolve("src/main.c"), "int main;");
        Files.writeString(tmp.resolve("src/trace.log"), "log");
        List<String> listed =
                new Scanner().scan(tmp).stream().map(FileEntry::path).toList();
        assertThat(listed).containsExactly(".droverignore", "src", "src/main.c");
    }

    @Test
    void theRepositoryOfACheckoutStaysOutOfEveryTransferUnlessTheIgnoreFileTakesItBack() throws Exception {
        Files.createDirectories(tmp.resolve(".git/objects"));
        Files.writeString(tmp.resolve(".git/HEAD"), "ref: refs/heads/main");
        Files.createDirectories(tmp.resolve("sub/.git"));
        Files.writeString(tmp.resolve("sub/.git/HEAD"), "x");
        Files.writeString(tmp.resolve(".gitignore"), "target/");
        assertThat(new Scanner().scan(tmp).stream().map(FileEntry::path).toList())
                .containsExactly(".gitignore", "sub", "sub/.git", "sub/.git/HEAD");
        Files.writeString(tmp.resolve(".droverignore"), "!/.git/\n");
        assertThat(new Scanner().scan(tmp).stream().map(FileEntry::path).toList())
                .contains(".git", ".git/HEAD", ".git/objects");
        Files.writeString(tmp.resolve(".droverignore"), "*.tmp\n");
        assertThat(new Scanner().scan(tmp).stream().map(FileEntry::path).toList())
                .doesNotContain(".git")
                .contains(".droverignore");
    }

    @Test
    void aTasksArtifactsKeepOnlyTheChangesUnderThemAndTheNewDirectoriesThatHoldThem() {
        BiFunction<String, EntryKind, FileEntry> e = (p, k) -> new FileEntry(p, k, 0644, 0, null, "", null);
        var dir = EntryKind.DIRECTORY;
        var file = EntryKind.FILE;
        Changes all = new Changes(
                List.of(
                        e.apply("dist", dir),
                        e.apply("dist/app.tgz", file),
                        e.apply("dist/notes.txt", file),
                        e.apply("junk", dir),
                        e.apply("junk/a.o", file),
                        e.apply("out", dir),
                        e.apply("out/deep", dir),
                        e.apply("out/deep/x.bin", file)),
                List.of("old.tgz", "dist/old.tgz", "junk/b.o"));
        var only = all.only(List.of("dist/*.tgz", "out/"));
        assertThat(only.written().stream().map(FileEntry::path).toList())
                .containsExactly("dist", "dist/app.tgz", "out", "out/deep", "out/deep/x.bin");
        assertThat(only.deleted()).containsExactly("dist/old.tgz");
        assertThat(all.only(List.of())).isSameAs(all);
    }
}
