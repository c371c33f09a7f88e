/** A list shown under a confirmation's message: what else the action affects. */
export interface ConfirmDetail {
  heading: string;
  items: string[];
}

export interface ConfirmRequest {
  title: string;
  message: string;
  details: ConfirmDetail[];
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

class ConfirmState {
  current = $state<ConfirmRequest | null>(null);
}

export const confirmState = new ConfirmState();

/** Asks the user to confirm (rendered by ConfirmHost). */
export function confirmDialog(opts: { title: string; message: string; details?: ConfirmDetail[]; confirmLabel?: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    confirmState.current?.resolve(false);
    confirmState.current = {
      title: opts.title,
      message: opts.message,
      details: opts.details ?? [],
      confirmLabel: opts.confirmLabel ?? 'Delete',
      danger: opts.danger ?? true,
      resolve,
    };
  });
}
