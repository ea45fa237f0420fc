package io.drover.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Drover's version, from the build. */
public final class Version {
    private static final String VERSION = load();
    /** Asked on every submit (it names the queue's stream): computed once. */
    private static final String MAJOR_MINOR = majorMinorOf(VERSION);

    private Version() {}

    private static String load() {
        // Set only to act as another release, e.g. to test how mixed versions on one fleet keep apart.
        String forced = System.getProperty("drover.version");
        if (forced != null && !forced.isBlank()) return forced;
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }

    public static String current() {
        return VERSION;
    }

    /** {@code major.minor}: peers of different major.minor refuse each other. */
    public static String majorMinor() {
        return MAJOR_MINOR;
    }

    private static String majorMinorOf(String version) {
        String[] p = version.split("[.-]");
        return p.length >= 2 ? p[0] + "." + p[1] : version;
    }
}
