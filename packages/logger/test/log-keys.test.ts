import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * One key style in every log line of every program: the fields written at each logger call in
 * the sources are snake_case (`metrics_address`, `session_id`), as an operator's queries expect.
 * Fields built elsewhere and passed as a variable are the runtime tests' job.
 */
const ROOT = join(__dirname, '..', '..', '..');
const LOG_METHODS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child']);
const SNAKE = /^[a-z][a-z0-9_]*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function badKeys(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node): string => `${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const checkObject = (object: ts.ObjectLiteralExpression): void => {
    for (const property of object.properties) {
      const name = property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : null;
      if (name !== null && !SNAKE.test(name)) found.push(`${where(property)} ${name}`);
      if (ts.isPropertyAssignment(property) && ts.isObjectLiteralExpression(property.initializer)) checkObject(property.initializer);
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && LOG_METHODS.has(node.expression.name.text)) {
      const first = node.arguments[0];
      // Only calls that look like pino's (fields, then a message) count: console.error(x) and
      // promise .catch handlers do not take an object literal and a string.
      const second = node.arguments[1];
      const isLogCall = node.expression.name.text === 'child' || (second !== undefined && (ts.isStringLiteral(second) || ts.isTemplateExpression(second) || ts.isNoSubstitutionTemplateLiteral(second) || ts.isConditionalExpression(second)));
      if (first !== undefined && ts.isObjectLiteralExpression(first) && isLogCall) checkObject(first);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('log line keys', () => {
  const packages = readdirSync(join(ROOT, 'packages'), { withFileTypes: true }).filter((e) => e.isDirectory());
  const files = packages.flatMap((p) => {
    try {
      return sourceFiles(join(ROOT, 'packages', p.name, 'src'));
    } catch {
      return []; // a package without src/ (assets only)
    }
  });

  it('finds the logging programs to check', () => {
    const names = files.map((f) => relative(ROOT, f));
    for (const expected of ['packages/proxy-service/src/connection-logger.ts', 'packages/pool-sim/src/pool-session.ts']) expect(names).toContain(expected);
  });

  it('are snake_case in every logger call of every package', () => {
    expect(files.flatMap(badKeys)).toEqual([]);
  });
});
