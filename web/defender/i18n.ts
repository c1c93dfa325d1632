/**
 * Every word the page shows, in French (the default) and English. Each element keeps both texts
 * (data-fr / data-en), so switching language never re-renders the page and never touches what
 * the person typed. Plain words, short sentences: people read this on a phone, under stress.
 */
export type Lang = 'fr' | 'en';
export interface Bilingual {
  fr: string;
  en: string;
}

const M = {
  title: { fr: 'Demande de protection', en: 'Protection request' },
  brand: { fr: 'Protection des défenseur·es', en: 'Protection of defenders' },
  otherLang: { fr: 'English', en: 'Français' },
  otherLangName: { fr: 'Read in English', en: 'Lire en français' },
  exit: { fr: 'Quitter vite', en: 'Quick exit' },
  exitHint: { fr: 'Le bouton « Quitter vite » (ou la touche Échap deux fois) ferme tout de suite cette page et ouvre un site ordinaire.', en: 'The “Quick exit” button (or pressing Escape twice) closes this page at once and opens an ordinary website.' },
  loading: { fr: 'Chargement…', en: 'Loading…' },

  homeTitle: { fr: 'Demander une protection', en: 'Ask for protection' },
  homeIntro: { fr: 'Vous êtes menacé·e à cause de votre travail pour les droits humains, ou quelqu’un que vous connaissez l’est ? Dites-le nous ici. Ce que vous écrivez est chiffré sur votre téléphone avant l’envoi : seule l’équipe de protection peut le lire.', en: 'Are you, or someone you know, under threat because of work for human rights? Tell us here. What you write is encrypted on your phone before it is sent: only the protection team can read it.' },
  homeFollow: { fr: 'Vous avez déjà envoyé une demande ? Suivez-la avec votre reçu.', en: 'Already sent a request? Follow it with your receipt.' },
  followLink: { fr: 'Suivre ma demande', en: 'Follow my request' },
  newLink: { fr: 'Faire une nouvelle demande', en: 'Make a new request' },
  pinMismatch: { fr: 'Dépôt refusé par sécurité : ce site ne propose pas la clé de chiffrement de l’institution avec laquelle cette page a été publiée. N’écrivez rien ici ; prévenez l’institution par un autre moyen.', en: 'Filing refused for safety: this site does not offer the institution’s encryption key this page was published with. Do not type anything here; tell the institution another way.' },
  notOpen: { fr: 'Le dépôt de demandes en ligne n’est pas encore ouvert sur ce site. Contactez l’institution par un autre moyen.', en: 'Online requests are not open on this site yet. Please contact the institution another way.' },

  step: { fr: 'Étape {n} sur {total}', en: 'Step {n} of {total}' },
  next: { fr: 'Continuer', en: 'Continue' },
  back: { fr: 'Retour', en: 'Back' },
  send: { fr: 'Envoyer ma demande', en: 'Send my request' },
  required: { fr: '(obligatoire)', en: '(required)' },
  optional: { fr: '(facultatif)', en: '(optional)' },
  choose: { fr: '— Choisir —', en: '— Choose —' },
  fixErrors: { fr: 'Il manque une réponse : voyez les champs signalés.', en: 'An answer is missing: see the marked fields.' },
  needAnswer: { fr: 'Merci de répondre à cette question.', en: 'Please answer this question.' },

  s1: { fr: 'Qui est en danger ?', en: 'Who is in danger?' },
  codesVisible: { fr: 'Ce que vous choisissez dans les listes (activité, genre, handicap, menaces, région, langue, moyen de contact) n’est pas chiffré : le service le voit et le compte, sans aucun nom, dans ses statistiques. Ce que vous écrivez reste chiffré.', en: 'What you choose in the lists (work, gender, disability, threats, region, language, way of contact) is not encrypted: the service sees it and counts it, without any name, in its statistics. What you write stays encrypted.' },
  filedFor: { fr: 'Pour qui faites-vous cette demande ?', en: 'Who are you asking for?' },
  identity: { fr: 'Nom de la personne en danger', en: 'Name of the person in danger' },
  identityHint: { fr: 'Son nom, ou un nom d’emprunt si c’est plus sûr. Ajoutez votre nom si vous écrivez pour quelqu’un d’autre.', en: 'Their name, or another name if that is safer. Add your own name if you write for someone else.' },
  defenderCategory: { fr: 'Son activité', en: 'Their work' },
  gender: { fr: 'Genre', en: 'Gender' },
  disability: { fr: 'Situation de handicap', en: 'Disability' },

  s2: { fr: 'Que s’est-il passé ?', en: 'What happened?' },
  threatTypes: { fr: 'Quelles menaces ou atteintes ? (une ou plusieurs)', en: 'What threats or harm? (one or more)' },
  narrative: { fr: 'Racontez ce qui s’est passé', en: 'Tell us what happened' },
  narrativeHint: { fr: 'Quand, qui, comment. Écrivez avec vos mots, même court.', en: 'When, who, how. In your own words, even briefly.' },

  s3: { fr: 'Où ?', en: 'Where?' },
  region: { fr: 'Région', en: 'Region' },
  location: { fr: 'Lieu plus précis', en: 'More precise place' },
  locationHint: { fr: 'Ville, quartier… seulement si vous le souhaitez.', en: 'Town, area… only if you wish.' },

  s4: { fr: 'Comment vous joindre sans danger ?', en: 'How can we reach you safely?' },
  contactChannel: { fr: 'Moyen de contact le plus sûr', en: 'Safest way to contact you' },
  contact: { fr: 'Vos coordonnées et quand vous joindre', en: 'Your contact details and when to reach you' },
  contactHint: { fr: 'Numéro, adresse ou personne de confiance ; les heures où c’est sûr ; ce qu’il ne faut pas faire (par exemple : ne pas laisser de message).', en: 'Number, address or trusted person; the times it is safe; what to avoid (for example: leave no message).' },
  preferredLanguage: { fr: 'Langue souhaitée', en: 'Preferred language' },

  s5: { fr: 'Danger immédiat', en: 'Immediate danger' },
  urgent: { fr: 'Quelqu’un est-il en danger immédiat (vie ou intégrité physique menacée maintenant) ?', en: 'Is anyone in immediate danger (life or physical safety threatened now)?' },
  yes: { fr: 'Oui', en: 'Yes' },
  no: { fr: 'Non', en: 'No' },
  urgentHint: { fr: 'Si oui, votre demande est traitée en priorité.', en: 'If yes, your request is handled first.' },
  reviewNote: { fr: 'Relisez si besoin avec « Retour ». Rien n’est envoyé avant que vous appuyiez sur « Envoyer ma demande ».', en: 'Use “Back” to check your answers. Nothing is sent until you press “Send my request”.' },

  working: { fr: 'Chiffrement sur votre téléphone… Cela peut prendre quelques secondes.', en: 'Encrypting on your phone… This can take a few seconds.' },
  sending: { fr: 'Envoi en cours…', en: 'Sending…' },
  opening: { fr: 'Ouverture de votre dossier… Cela peut prendre quelques secondes.', en: 'Opening your case… This can take a few seconds.' },
  seconds: { fr: '{n} s', en: '{n} s' },

  sentTitle: { fr: 'Votre demande est envoyée', en: 'Your request has been sent' },
  reference: { fr: 'Numéro de dossier', en: 'Case reference' },
  receipt: { fr: 'Votre reçu', en: 'Your receipt' },
  receiptOnce: { fr: 'Ce reçu s’affiche une seule fois. C’est la seule clé de votre dossier.', en: 'This receipt is shown only once. It is the only key to your case.' },
  advice1: { fr: 'Recopiez-le sur papier et gardez-le en lieu sûr, ou apprenez-le par cœur.', en: 'Copy it onto paper and keep it somewhere safe, or learn it by heart.' },
  advice2: { fr: 'Personne ne pourra vous le redonner, pas même l’équipe de protection.', en: 'Nobody can give it back to you, not even the protection team.' },
  advice3: { fr: 'Ne l’envoyez pas par SMS ou messagerie, ne le photographiez pas : quiconque le lit peut ouvrir votre dossier.', en: 'Do not send it by SMS or chat, do not photograph it: anyone who reads it can open your case.' },
  ackBy: { fr: 'L’équipe de protection accusera réception avant le {date}.', en: 'The protection team will acknowledge your request by {date}.' },
  ackSoon: { fr: 'L’équipe de protection va accuser réception de votre demande ; suivez-la avec votre reçu.', en: 'The protection team will acknowledge your request; follow it with your receipt.' },
  arrivedOnce: { fr: 'Votre premier envoi était bien arrivé : votre demande n’est enregistrée qu’une fois.', en: 'Your first sending had arrived: your request is recorded only once.' },
  changesMissing: { fr: 'Ce que vous avez changé après ce premier envoi n’y est peut-être pas : ajoutez-le par message en suivant votre demande.', en: 'What you changed after that first sending may not be in it: add it in a message when you follow your request.' },
  sendUnsure: { fr: 'Si votre demande est quand même arrivée, réessayer ne l’enverra pas une deuxième fois.', en: 'If your request did arrive, trying again will not send it a second time.' },
  noted: { fr: 'J’ai noté mon reçu en lieu sûr', en: 'I have written my receipt down somewhere safe' },
  goFollow: { fr: 'Suivre ma demande maintenant', en: 'Follow my request now' },
  finish: { fr: 'Terminer', en: 'Finish' },

  followTitle: { fr: 'Suivre votre demande', en: 'Follow your request' },
  followIntro: { fr: 'Entrez le reçu de 16 chiffres reçu lors de votre demande. Il n’est jamais envoyé tel quel : il sert à ouvrir votre dossier sur ce téléphone.', en: 'Enter the 16-digit receipt you were given with your request. It is never sent as such: it opens your case on this phone.' },
  receiptLabel: { fr: 'Reçu (16 chiffres)', en: 'Receipt (16 digits)' },
  open: { fr: 'Ouvrir mon dossier', en: 'Open my case' },
  badReceipt: { fr: 'Le reçu compte 16 chiffres. Vérifiez ce que vous avez tapé.', en: 'The receipt has 16 digits. Check what you typed.' },

  caseTitle: { fr: 'Votre dossier', en: 'Your case' },
  refresh: { fr: 'Actualiser', en: 'Refresh' },
  close: { fr: 'Fermer le dossier sur ce téléphone', en: 'Close the case on this phone' },
  status: { fr: 'Où en est votre demande', en: 'Where your request stands' },
  filedOn: { fr: 'Envoyée le {date}', en: 'Sent on {date}' },
  deadlines: { fr: 'Prochaines échéances', en: 'Next deadlines' },
  noDeadlines: { fr: 'Aucune échéance en cours.', en: 'No deadline running.' },
  due: { fr: 'avant le {date}', en: 'by {date}' },
  notices: { fr: 'Ce que nous vous avons signalé', en: 'What we told you' },
  infoRequested: { fr: 'L’équipe de protection vous demande des informations. Répondez par message ci-dessous, puis appuyez sur « J’ai répondu ».', en: 'The protection team is asking you for information. Answer with a message below, then press “I have answered”.' },
  provided: { fr: 'J’ai répondu', en: 'I have answered' },

  consentTitle: { fr: 'En attente de votre accord', en: 'Waiting for your agreement' },
  nothingToConsent: { fr: 'Rien n’attend votre accord.', en: 'Nothing is waiting for your agreement.' },
  measure: { fr: 'Mesure de protection proposée', en: 'Proposed protection measure' },
  referral: { fr: 'Transmission à un partenaire', en: 'Referral to a partner' },
  referralTo: { fr: 'À : {org}', en: 'To: {org}' },
  referralPurpose: { fr: 'Pour : {purpose}', en: 'For: {purpose}' },
  referralFields: { fr: 'Ce qui serait transmis : {fields}', en: 'What would be shared: {fields}' },
  consent: { fr: 'J’accepte', en: 'I agree' },
  refuse: { fr: 'Je refuse', en: 'I refuse' },
  confirmRefuse: { fr: 'Confirmer le refus (définitif)', en: 'Confirm refusal (final)' },
  consented: { fr: 'Votre accord est enregistré.', en: 'Your agreement has been recorded.' },
  refused: { fr: 'Votre refus est enregistré.', en: 'Your refusal has been recorded.' },

  messages: { fr: 'Messages', en: 'Messages' },
  noMessages: { fr: 'Pas encore de message.', en: 'No messages yet.' },
  you: { fr: 'Vous', en: 'You' },
  team: { fr: 'Équipe de protection', en: 'Protection team' },
  unreadable: { fr: '(message illisible sur ce téléphone)', en: '(this message cannot be read on this phone)' },
  reply: { fr: 'Votre message', en: 'Your message' },
  sendMessage: { fr: 'Envoyer le message', en: 'Send message' },
  messageSent: { fr: 'Message envoyé.', en: 'Message sent.' },

  filesTitle: { fr: 'Pièces (photos, sons, vidéos, documents)', en: 'Evidence (photos, recordings, videos, documents)' },
  filesIntro: { fr: 'Chaque pièce est chiffrée sur votre téléphone avant l’envoi : le serveur ne voit ni son contenu ni son nom.', en: 'Each file is encrypted on your phone before it is sent: the server sees neither its content nor its name.' },
  noFiles: { fr: 'Pas encore de pièce.', en: 'No evidence yet.' },
  fileLabel: { fr: 'Fichier', en: 'File' },
  fileHint: { fr: 'Photo, enregistrement, vidéo ou PDF.', en: 'Photo, recording, video or PDF.' },
  captionLabel: { fr: 'Légende', en: 'Caption' },
  captionHint: { fr: 'Ce que montre la pièce, où et quand (chiffré aussi).', en: 'What the file shows, where and when (encrypted too).' },
  stripLabel: { fr: 'Retirer la position et les autres informations cachées des photos (conseillé)', en: 'Remove the location and other hidden information from photos (recommended)' },
  stripHint: { fr: 'Une photo garde souvent l’endroit où elle a été prise, le téléphone et l’heure.', en: 'A photo often keeps where it was taken, the phone and the time.' },
  sendFile: { fr: 'Envoyer la pièce', en: 'Send the file' },
  cancelUpload: { fr: 'Annuler l’envoi', en: 'Cancel the upload' },
  uploading: { fr: 'Envoi de la pièce : {percent} %', en: 'Sending the file: {percent}%' },
  uploadProgressLabel: { fr: 'Envoi de la pièce', en: 'Sending the file' },
  preparing: { fr: 'Préparation et chiffrement de la pièce…', en: 'Preparing and encrypting the file…' },
  fileSent: { fr: 'Pièce envoyée.', en: 'File sent.' },
  removedWhat: { fr: 'Retiré de la photo : {what}.', en: 'Removed from the photo: {what}.' },
  removedGps: { fr: 'la position GPS', en: 'the GPS location' },
  removedCamera: { fr: 'le modèle de l’appareil', en: 'the camera model' },
  removedDate: { fr: 'la date de prise de vue', en: 'the date it was taken' },
  removedAll: { fr: 'toutes les autres informations cachées', en: 'all other hidden information' },
  stripNone: { fr: 'La photo ne contenait pas d’informations cachées.', en: 'The photo held no hidden information.' },
  stripUnsupported: { fr: 'Ce type de fichier n’est pas nettoyé : il est envoyé tel quel (seuls les JPEG, PNG et WebP le sont).', en: 'This type of file is not cleaned: it is sent as it is (only JPEG, PNG and WebP are).' },
  stripTooLarge: { fr: 'Photo trop grande pour être nettoyée sur ce téléphone : elle est envoyée avec ses informations cachées.', en: 'Photo too large to be cleaned on this phone: it is sent with its hidden information.' },
  stripMalformed: { fr: 'La photo n’a pas pu être lue pour la nettoyer : elle est envoyée telle quelle.', en: 'The photo could not be read to clean it: it is sent as it is.' },
  stripOff: { fr: 'Les informations cachées ont été gardées, comme vous l’avez choisi.', en: 'The hidden information was kept, as you chose.' },
  uploadCancelled: { fr: 'Envoi annulé.', en: 'Upload cancelled.' },
  uploadInterrupted: { fr: 'Un envoi a été interrompu. Choisissez de nouveau le même fichier puis « Envoyer la pièce » : il reprendra où il s’était arrêté.', en: 'An upload was interrupted. Pick the same file again, then “Send the file”: it will go on from where it stopped.' },
  uploadResumed: { fr: 'Reprise de l’envoi interrompu.', en: 'Resuming the interrupted upload.' },
  uploadRestarted: { fr: 'Ce n’est pas le même fichier que l’envoi interrompu : celui-ci est abandonné et le nouveau envoyé en entier.', en: 'This is not the file of the interrupted upload: that one is abandoned and the new one sent in full.' },
  pickFile: { fr: 'Choisissez un fichier.', en: 'Choose a file.' },
  errFileTooLarge: { fr: 'Ce fichier est trop grand pour être envoyé.', en: 'This file is too large to send.' },
  errFileQuota: { fr: 'Le dossier a atteint la limite de pièces. Prévenez l’équipe par message.', en: 'The case has reached its limit of files. Tell the team by message.' },
  unreadableFile: { fr: '(pièce illisible sur ce téléphone)', en: '(this file cannot be read on this phone)' },
  fileBy: { fr: '{who} · {date}', en: '{who} · {date}' },
  showImage: { fr: 'Afficher l’image', en: 'Show the image' },
  download: { fr: 'Télécharger', en: 'Download' },
  saveFile: { fr: 'Enregistrer {name}', en: 'Save {name}' },
  openingFile: { fr: 'Ouverture et vérification de la pièce…', en: 'Opening and checking the file…' },
  fileOpened: { fr: 'Pièce ouverte et vérifiée.', en: 'File opened and checked.' },
  errFileAltered: { fr: 'ATTENTION : cette pièce a été modifiée depuis son envoi. Elle n’a pas été ouverte ni enregistrée. Prévenez l’équipe de protection.', en: 'WARNING: this file has been altered since it was sent. It was not opened or saved. Tell the protection team.' },
  errCutShort: { fr: 'Le téléchargement s’est arrêté avant la fin ; rien n’a été gardé. Réessayez. S’il s’arrête encore, la pièce conservée a peut-être été modifiée : prévenez le mécanisme.', en: 'The download stopped before the end; nothing was kept. Try again. If it stops again, the stored file may have been altered: tell the mechanism.' },
  errFileTooBig: { fr: 'Cette pièce est trop grande pour être ouverte sur ce téléphone. Ouvrez-la depuis un ordinateur.', en: 'This file is too large to open on this phone. Open it from a computer.' },
  filesAfterFiling: { fr: 'Vous avez des photos, enregistrements ou documents ? Vous pourrez les ajouter, chiffrés, dans votre dossier à l’étape suivante.', en: 'Have photos, recordings or documents? You can add them, encrypted, to your case at the next step.' },

  checkinTitle: { fr: 'Donner de vos nouvelles', en: 'Check in' },
  howAreYou: { fr: 'Comment allez-vous ?', en: 'How are you?' },
  checkinOk: { fr: 'Tout va bien', en: 'I am fine' },
  checkinContact: { fr: 'J’ai besoin d’être contacté·e', en: 'I need to be contacted' },
  note: { fr: 'Un mot', en: 'A note' },
  sendCheckin: { fr: 'Envoyer mes nouvelles', en: 'Send check-in' },
  checkinSent: { fr: 'Merci, vos nouvelles sont enregistrées.', en: 'Thank you, your check-in has been recorded.' },

  incidentTitle: { fr: 'Signaler un nouvel incident', en: 'Report a new incident' },
  incidentType: { fr: 'Type d’incident', en: 'Type of incident' },
  incidentNote: { fr: 'Ce qui s’est passé', en: 'What happened' },
  sendIncident: { fr: 'Signaler l’incident', en: 'Report the incident' },
  incidentSent: { fr: 'Incident signalé. L’équipe de protection est prévenue.', en: 'Incident reported. The protection team has been told.' },

  alertTitle: { fr: 'Je suis en danger maintenant', en: 'I am in danger now' },
  alertIntro: { fr: 'Prévient tout de suite l’équipe de protection.', en: 'Tells the protection team at once.' },
  alertNote: { fr: 'Où êtes-vous, que se passe-t-il ?', en: 'Where are you, what is happening?' },
  raiseAlert: { fr: 'Donner l’alerte', en: 'Raise the alert' },
  confirmAlert: { fr: 'Confirmer l’alerte', en: 'Confirm the alert' },
  alertSent: { fr: 'Alerte envoyée. L’équipe de protection est prévenue.', en: 'Alert sent. The protection team has been told.' },

  errNetwork: { fr: 'Le service ne répond pas (pas de connexion, ou serveur arrêté). Rien n’est perdu : ce que vous avez écrit est toujours là. Réessayez dans un moment.', en: 'The service is not answering (no connection, or the server is down). Nothing is lost: what you wrote is still here. Try again in a moment.' },
  errRateLimited: { fr: 'Trop d’essais en peu de temps. Attendez {n} secondes puis réessayez. Ce que vous avez écrit est toujours là.', en: 'Too many attempts in a short time. Wait {n} seconds, then try again. What you wrote is still here.' },
  errFilingQuota: {
    fr: 'Beaucoup de demandes sont parties de cette connexion depuis une heure. Une demande courte passe tout de suite : raccourcissez le récit à quelques lignes (ce qui se passe, où, comment vous joindre) et envoyez ; vous pourrez compléter ensuite. Ce que vous avez écrit est toujours là.',
    en: 'Many requests were sent from this connection in the last hour. A short request goes through at once: cut the account down to a few lines (what is happening, where, how to reach you) and send; you can add the rest later. What you wrote is still here.',
  },
  errRateLimitedNoWait: { fr: 'Trop d’essais en peu de temps. Attendez une minute puis réessayez. Ce que vous avez écrit est toujours là.', en: 'Too many attempts in a short time. Wait a minute, then try again. What you wrote is still here.' },
  errWrongReceipt: { fr: 'Ce reçu n’ouvre aucun dossier. Vérifiez les 16 chiffres.', en: 'This receipt opens no case. Check the 16 digits.' },
  errSession: { fr: 'Votre session a expiré. Entrez de nouveau votre reçu.', en: 'Your session has ended. Enter your receipt again.' },
  errTooLarge: { fr: 'Le texte est trop long pour être envoyé. Raccourcissez-le puis réessayez.', en: 'The text is too long to send. Shorten it, then try again.' },
  errInvalid: { fr: 'Le serveur a refusé la demande ({code}). Vérifiez vos réponses puis réessayez.', en: 'The server refused the request ({code}). Check your answers, then try again.' },
  errConflict: { fr: 'Ce n’est pas possible à ce stade du dossier ({code}).', en: 'This is not possible at this stage of the case ({code}).' },
  errKeyChanged: { fr: 'La clé de l’institution a changé pendant l’envoi. Rechargez la page puis réessayez.', en: 'The institution’s key changed while sending. Reload the page, then try again.' },
  errKeyMismatch: { fr: 'Envoi refusé par sécurité : le serveur propose une clé de chiffrement qui n’est pas celle de l’institution. Rien n’a été envoyé. Ne réessayez pas ; prévenez l’institution par un autre moyen.', en: 'Sending refused for safety: the server offers an encryption key that is not the institution’s. Nothing was sent. Do not retry; tell the institution another way.' },
  errServer: { fr: 'Le service a rencontré un problème ({code}). Réessayez dans un moment ; ce que vous avez écrit est toujours là.', en: 'The service had a problem ({code}). Try again in a moment; what you wrote is still here.' },
  errCrypto: { fr: 'Le chiffrement n’a pas pu se faire sur ce téléphone ({code}). Rien n’a été envoyé.', en: 'Encryption could not be done on this phone ({code}). Nothing was sent.' },
} as const satisfies Record<string, Bilingual>;

export type MessageKey = keyof typeof M;

function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Both texts of a message, with {placeholders} filled; a var may itself be bilingual. */
export function L(key: MessageKey, vars: Record<string, string | number | Bilingual> = {}): Bilingual {
  const pick = (lang: Lang) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'object' ? v[lang] : v]));
  return { fr: fill(M[key].fr, pick('fr')), en: fill(M[key].en, pick('en')) };
}

/** A text that is the same in both languages (a reference, a name). */
export const same = (text: string): Bilingual => ({ fr: text, en: text });

/** Two sentences as one text. */
export const join = (a: Bilingual, b: Bilingual): Bilingual => ({ fr: `${a.fr} ${b.fr}`, en: `${a.en} ${b.en}` });

/** Dates in both languages, in the phone's own time zone. */
export function dateText(iso: string, withTime = true): Bilingual {
  const d = new Date(iso);
  const format = (lang: Lang) => new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', withTime ? { dateStyle: 'long', timeStyle: 'short' } : { dateStyle: 'long' }).format(d);
  return { fr: format('fr'), en: format('en') };
}

const STATES: Record<string, Bilingual> = {
  received: { fr: 'Reçue : elle attend d’être prise en charge.', en: 'Received: waiting to be taken up.' },
  triage: { fr: 'En cours d’examen par l’équipe de protection.', en: 'Being examined by the protection team.' },
  info_requested: { fr: 'En attente d’informations de votre part.', en: 'Waiting for information from you.' },
  assessment: { fr: 'Admise : le risque est en cours d’évaluation.', en: 'Accepted: the risk is being assessed.' },
  decision: { fr: 'Une décision sur votre protection est en préparation.', en: 'A decision on your protection is being prepared.' },
  protection: { fr: 'Sous protection.', en: 'Under protection.' },
  closed: { fr: 'Dossier fermé.', en: 'Case closed.' },
};
export const stateText = (state: string): Bilingual => STATES[state] ?? same(state);

const RULES: Record<string, Bilingual> = {
  acknowledge: { fr: 'Accusé de réception de votre demande', en: 'Acknowledgement of your request' },
  triage: { fr: 'Examen de votre demande', en: 'Examination of your request' },
  info_reply: { fr: 'Votre réponse aux questions de l’équipe', en: 'Your answer to the team’s questions' },
  assessment: { fr: 'Évaluation du risque', en: 'Risk assessment' },
  decision: { fr: 'Décision sur votre protection', en: 'Decision on your protection' },
  consent: { fr: 'Votre accord à une mesure', en: 'Your agreement to a measure' },
  approval: { fr: 'Validation d’une mesure', en: 'Approval of a measure' },
  implementation: { fr: 'Mise en place d’une mesure', en: 'Putting a measure in place' },
  review: { fr: 'Réexamen d’une mesure', en: 'Review of a measure' },
  checkin: { fr: 'Vos prochaines nouvelles', en: 'Your next check-in' },
  appeal: { fr: 'Réponse à votre recours', en: 'Answer to your appeal' },
  referral_response: { fr: 'Réponse du partenaire', en: 'Answer from the partner' },
};
export const ruleText = (rule: string): Bilingual => RULES[rule] ?? same(rule.replace(/_/g, ' '));

/**
 * What the defender is told on their case (GET /v1/cases/:id/notices), from the outbox topics
 * whose audience is the defender (src/notifications/notification-audience.ts): a staff message,
 * the measure steps (measure-service `notify(..., 'defender')`), a referral awaiting consent, an
 * appeal decided, and the reminders of deadlines that are theirs (escalation). Plain words for
 * each, the payload's codes (decision, outcome, reason, rule) read where they change the
 * sentence; a topic added later reads as a plain sentence, never as a code.
 */
type Payload = Record<string, string | number | boolean>;
const TOPICS: Record<string, Bilingual | ((p: Payload) => Bilingual | undefined)> = {
  'message.created': { fr: 'Vous avez un nouveau message.', en: 'You have a new message.' },
  'measure.proposed': { fr: 'Une mesure de protection vous est proposée.', en: 'A protection measure has been proposed to you.' },
  'measure.answered': (p) =>
    p.decision === 'consent'
      ? { fr: 'Votre accord à une mesure de protection a été enregistré.', en: 'Your agreement to a protection measure has been recorded.' }
      : p.decision === 'refuse'
        ? { fr: 'Votre refus d’une mesure de protection a été enregistré.', en: 'Your refusal of a protection measure has been recorded.' }
        : undefined,
  'measure.approved': { fr: 'Une mesure de protection a été approuvée.', en: 'A protection measure has been approved.' },
  'measure.rejected': { fr: 'Une mesure de protection proposée n’a pas été approuvée.', en: 'A proposed protection measure was not approved.' },
  'measure.activated': { fr: 'Une mesure de protection est mise en place.', en: 'A protection measure has been put in place.' },
  'measure.lifted': { fr: 'Une mesure de protection a été levée.', en: 'A protection measure has been lifted.' },
  'measure.ended': (p) =>
    p.reason === 'lapsed'
      ? { fr: 'Une mesure de protection urgente a pris fin : elle n’a pas été confirmée à temps.', en: 'An urgent protection measure has ended: it was not confirmed in time.' }
      : { fr: 'Une mesure de protection a pris fin (sa date de fin est passée).', en: 'A protection measure has ended (its end date has passed).' },
  'referral.consent_requested': { fr: 'Une transmission à un partenaire attend votre accord.', en: 'A referral to a partner is waiting for your agreement.' },
  'appeal.decided': (p) =>
    p.outcome === 'upheld'
      ? { fr: 'Votre recours a été accepté.', en: 'Your appeal has been upheld.' }
      : p.outcome === 'dismissed'
        ? { fr: 'Votre recours a été rejeté.', en: 'Your appeal has been dismissed.' }
        : { fr: 'Une décision a été prise sur votre recours.', en: 'A decision has been taken on your appeal.' },
  'deadline.step': (p) => {
    if (typeof p.rule !== 'string' || typeof p.dueAt !== 'string') return undefined;
    const what = ruleText(p.rule);
    const by = dateText(p.dueAt);
    return { fr: `Rappel — ${what.fr} : avant le ${by.fr}.`, en: `Reminder — ${what.en}: by ${by.en}.` };
  },
};
const AREAS: Record<string, Bilingual> = {
  measure: { fr: 'Du nouveau sur une mesure de protection.', en: 'News about a protection measure.' },
  referral: { fr: 'Du nouveau sur une transmission à un partenaire.', en: 'News about a referral to a partner.' },
  appeal: { fr: 'Du nouveau sur votre recours.', en: 'News about your appeal.' },
  deadline: { fr: 'Rappel : une échéance approche.', en: 'Reminder: a deadline is near.' },
  message: { fr: 'Vous avez un nouveau message.', en: 'You have a new message.' },
};
const NEWS: Bilingual = { fr: 'Il y a du nouveau dans votre dossier.', en: 'There is news on your case.' };

/** The table's own entry only (a topic named `constructor` is not Object's). */
const own = <V>(table: Record<string, V>, key: string): V | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);

export function topicText(topic: string, payload: Payload = {}): Bilingual {
  const known = own(TOPICS, topic);
  const text = typeof known === 'function' ? known(payload) : known;
  return text ?? own(AREAS, topic.split('.')[0] ?? '') ?? NEWS;
}
