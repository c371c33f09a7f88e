export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

class ConfirmState {
  current = $state<ConfirmRequest | null>(null);
}

export const confirmState = new ConfirmState();

/** Asks the user to confirm (rendered by ConfirmHost). */
export function confirmDialog(opts: { title: string; message: string; confirmLabel?: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    confirmState.current?.resolve(false);
    confirmState.current = {
      title: opts.title,
      message: opts.message,
      confirmLabel: opts.confirmLabel ?? 'Delete',
      danger: opts.danger ?? true,
      resolve,
    };
  });
}
