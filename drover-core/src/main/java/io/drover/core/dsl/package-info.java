/**
 * The workflow language: a Lua file that sets a global {@code TaskDefinitions} table of groups of tasks.
 * {@link io.drover.core.dsl.WorkflowLoader} evaluates it in the sandbox, checks every field (unknown ones are
 * refused with a suggestion) and builds the immutable model; every error names the file and line.
 */
package io.drover.core.dsl;
