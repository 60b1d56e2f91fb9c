// PyTorch's snake_case names on our classes, for code pasted from PyTorch: model.zero_grad(),
// optimizer.state_dict(), scheduler.get_last_lr(), model.fc.in_features. Each calls or reads the
// camelCase member of the same meaning (a method the class has; an attribute where the instance has
// one, undefined elsewhere, as a missing attribute would be). Non-enumerable, on the prototype.

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Each snake_case method name calls the camelCase method it spells. */
export function methodSpellings(proto: object, names: readonly string[]): void {
  for (const snake of names) {
    const name = camel(snake);
    Object.defineProperty(proto, snake, {
      value: function (this: Record<string, (...args: unknown[]) => unknown>, ...args: unknown[]) {
        return this[name]!(...args);
      },
      writable: true,
      configurable: true,
    });
  }
}

/**
 * Each snake_case attribute reads the camelCase field it spells. Setting one (a module of your own
 * that writes self.hidden_size = hidden_size) gives the instance a field of that name, as a plain
 * assignment would.
 */
export function attributeSpellings(proto: object, names: readonly string[]): void {
  for (const snake of names) {
    const name = camel(snake);
    Object.defineProperty(proto, snake, {
      get(this: Record<string, unknown>) {
        return this[name];
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, snake, { value, writable: true, enumerable: true, configurable: true });
      },
      configurable: true,
    });
  }
}
