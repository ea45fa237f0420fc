/**
 * Drover's engine: the workflow model ({@code model}), the Lua DSL ({@code dsl}), the planner ({@code plan}),
 * the scheduler and dispatchers ({@code engine}), the code that runs user work ({@code runner}, {@code lua}) and
 * local run records ({@code record}). Every other mode (agents, Redis workers, controllers) reuses these.
 */
package io.drover.core;
