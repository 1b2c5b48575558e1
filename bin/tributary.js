#!/usr/bin/env node
// The `tributary` command: a thin launcher for the compiled CLI.
import '../dist/cli/main.js';
