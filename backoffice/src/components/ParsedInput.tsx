/** A text field for a value that is not plain text (a JSON cell, a comma-separated list): what is typed stays as typed
 * (spaces, a comma not yet followed by a value), and every keystroke hands the parsed value on. */
import { useEffect, useState } from "preact/hooks";

interface Props {
  value: unknown;
  parse: (text: string) => unknown;
  format: (value: unknown) => string;
  onChange: (value: unknown) => void;
  [attribute: string]: unknown;
}

export function ParsedInput({ value, parse, format, onChange, ...attributes }: Props) {
  const [text, setText] = useState(() => format(value));
  useEffect(() => {
    // Changed from elsewhere (the JSON tab, a removed column): show the new value.
    if (JSON.stringify(parse(text)) !== JSON.stringify(value)) setText(format(value));
  }, [JSON.stringify(value)]);
  return (
    <input
      {...attributes}
      value={text}
      onInput={(e) => {
        const typed = (e.target as HTMLInputElement).value;
        setText(typed);
        onChange(parse(typed));
      }}
    />
  );
}
