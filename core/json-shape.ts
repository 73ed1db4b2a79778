/** How far a parsed JSON value nests and how big it is, measured without recursion. */
export interface JsonShape {
  /** Objects and arrays nested inside each other, the value itself included (a scalar is 0). */
  depth: number
  /** Every value inside, containers and scalars, the value itself included. */
  nodes: number
  /** The longest object key anywhere inside. */
  longestKey: number
}

/**
 * Walks `value` with an explicit stack: a client-made value may nest thousands of levels
 * (16 KiB of `[` is 16,384 levels), which overflows the call stack of any recursive walker,
 * `JSON.stringify` included. Stops as soon as `depth` passes `stopAbove`, so the cost of a
 * hostile value is bounded by that limit, not by its size.
 */
export function jsonShape(value: unknown, stopAbove = Number.POSITIVE_INFINITY): JsonShape {
  const shape: JsonShape = { depth: 0, nodes: 0, longestKey: 0 }
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [current, level] = stack.pop() as [unknown, number]
    shape.nodes += 1
    if (current === null || typeof current !== 'object') continue
    shape.depth = Math.max(shape.depth, level)
    if (shape.depth > stopAbove) return shape
    if (Array.isArray(current)) {
      for (const item of current) stack.push([item, level + 1])
      continue
    }
    for (const [key, item] of Object.entries(current)) {
      shape.longestKey = Math.max(shape.longestKey, key.length)
      stack.push([item, level + 1])
    }
  }
  return shape
}
