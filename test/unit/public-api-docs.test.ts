// Every public export of the four entry points (tributary, tributary/storage, tributary/broker,
// tributary/namesrv) has a doc comment, and so has every public method of an exported class or
// interface: what it does, its defaults, its errors (docs/README.md, "The rule"). The same kinds
// TypeDoc requires in typedoc.json (`npm run docs:api` fails on them too); this check uses the
// TypeScript compiler API so it runs without TypeDoc and in seconds.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { test } from 'uvu';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY_POINTS = ['client/index.ts', 'storage/index.ts', 'broker/index.ts', 'namesrv/index.ts'];

function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  // An overload set or a method is documented when any of its signatures is.
  return (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
}

function isPublicMethod(member: ts.Symbol): boolean {
  const declaration = member.declarations?.[0];
  if (declaration === undefined) return false;
  if (!(ts.isMethodDeclaration(declaration) || ts.isMethodSignature(declaration))) return false;
  const modifiers = ts.getCombinedModifierFlags(declaration);
  return (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0 && !member.name.startsWith('#');
}

/** `entry: Name` and `entry: Name.method` of each public export or member without a doc comment. */
function undocumentedExports(): string[] {
  const program = ts.createProgram(
    ENTRY_POINTS.map((entry) => path.join(ROOT, entry)),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
  );
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of ENTRY_POINTS) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, entry))!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!documented(symbol, checker)) missing.push(`${entry}: ${exported.name}`);
      if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
      for (const member of symbol.members?.values() ?? []) {
        if (isPublicMethod(member) && !documented(member, checker))
          missing.push(`${entry}: ${exported.name}.${member.name}`);
      }
    }
  }
  return missing;
}

test('an undocumented public export (or public method of an exported class) fails the build', () => {
  const missing = undocumentedExports();
  assert.equal(missing.length, 0, `give each a doc comment (what it does, its defaults, its errors):\n${missing.join('\n')}`);
});

test.run();
