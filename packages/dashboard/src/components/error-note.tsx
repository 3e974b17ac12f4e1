/** An error shown where the person acted: the hub's sentence and code, announced to screen readers. */
export function ErrorNote(props: { error: string | null }) {
  if (props.error === null) return null;
  return <p class="error" role="alert">{props.error}</p>;
}
