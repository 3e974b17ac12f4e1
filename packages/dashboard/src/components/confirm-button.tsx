/**
 * A button whose action runs only after a confirmation dialog (a modal `<dialog>`, so
 * focus stays inside it and Escape cancels).
 */
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

export function ConfirmButton(props: { label: string; question: string; confirmLabel?: string; disabled?: boolean; danger?: boolean; onConfirm: () => void; children?: ComponentChildren }) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" class={props.danger === true ? 'danger' : undefined} disabled={props.disabled} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.question}>
        <form method="dialog" onSubmit={(event) => {
          const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
          if (submitter?.value === 'yes') props.onConfirm();
        }}>
          <p>{props.question}</p>
          {props.children}
          <div class="row">
            <button type="submit" value="no" autofocus>Cancel</button>
            <button type="submit" value="yes" class={props.danger === true ? 'danger' : 'primary'}>{props.confirmLabel ?? props.label}</button>
          </div>
        </form>
      </dialog>
    </>
  );
}
