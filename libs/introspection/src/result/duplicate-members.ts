/**
 * The first member name that occurs more than once at the top level of a JSON
 * object text, or `undefined`. Call it on text that `JSON.parse` accepted as
 * an object. RFC 8259 §4 leaves duplicates to each parser (last wins in
 * JavaScript, first wins elsewhere), so an answer with two `active` or
 * `scope` members could mean different things to us and to a proxy or a log
 * reader: it is refused rather than guessed at.
 * @internal
 */
export function duplicateTopLevelMember(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectingKey = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      const end = endOfString(json, i);
      if (depth === 1 && expectingKey) {
        // JSON.parse decodes escapes, so "\u0061ctive" is "active" too.
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(name)) {
          return name;
        }
        seen.add(name);
        expectingKey = false;
      }
      i = end;
    } else if (char === '{' || char === '[') {
      depth++;
      expectingKey = depth === 1 && char === '{';
    } else if (char === '}' || char === ']') {
      depth--;
    } else if (char === ',' && depth === 1) {
      expectingKey = true;
    }
  }
  return undefined;
}

/** Index of the quote closing the string that opens at `start`. */
function endOfString(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === '\\') {
      i++;
    } else if (json[i] === '"') {
      return i;
    }
  }
  return json.length - 1;
}
