/**
 * The {@code drover} command line: one picocli class per command, each returning its exit code. Bad input gets
 * one line that names the problem and exit code 2, with no stack trace unless {@code --verbose}; what a user reads
 * is plain printing; nothing is half-written when a command fails.
 */
package io.drover.cli;
