/**
 * The catalog search box: searches as you type (debounced) and at once on Enter. The text follows
 * the URL, so back/forward and shared links show the query that produced the results.
 */
import { CloseButton, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';

const DEBOUNCE_MS = 350;

export interface SearchBoxProps {
  value: string;
  /** `typing` is true for debounced updates (the caller may replace instead of push history). */
  onSearch(text: string, how: { typing: boolean }): void;
}

export function SearchBox({ value, onSearch }: SearchBoxProps) {
  const [text, setText] = useState(value);
  const committed = useRef(value);

  // The URL changed under us (back/forward, a link, a cleared chip): show its query.
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);

  const commit = (t: string, typing: boolean) => {
    const trimmed = t.trim();
    if (trimmed === committed.current) return;
    committed.current = trimmed;
    onSearch(trimmed, { typing });
  };
  const debounced = useDebouncedCallback((t: string) => commit(t, true), DEBOUNCE_MS);

  return (
    <form
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        debounced.cancel();
        commit(text, false);
      }}
    >
      <TextInput
        size="lg"
        radius="md"
        enterKeyHint="search"
        name="q"
        aria-label="Search models"
        placeholder="Describe the job and your hardware, e.g. “Japanese NER on CPU” or “summarize contracts under 16 GB”"
        leftSection={<IconSearch size={20} aria-hidden />}
        rightSection={
          text ? (
            <CloseButton
              aria-label="Clear search"
              onClick={() => {
                debounced.cancel();
                setText('');
                commit('', false);
              }}
            />
          ) : null
        }
        value={text}
        maxLength={500}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          setText(e.currentTarget.value);
          debounced(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) {
            e.preventDefault();
            debounced.cancel();
            setText('');
            commit('', false);
          }
        }}
      />
    </form>
  );
}
