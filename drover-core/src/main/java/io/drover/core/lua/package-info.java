/**
 * Lua for workflows (LuaJ): a sandboxed interpreter with Drover's modules ({@code log}, {@code exec}, {@code fs},
 * {@code env}, {@code json}) and no {@code os.execute}, {@code io}, {@code debug}, {@code require}, file loading or
 * bytecode; and a pool of interpreters per workflow source, so the file is evaluated once per concurrent slot and
 * each task call gets a fresh globals table of its own.
 */
package io.drover.core.lua;
