// Every text of the staff form, in English and French. Keys are referenced by
// data-i18n attributes in index.html and by app.js; a key missing from either
// language is a bug (tests/js/browser/run.mjs checks both tables have the same
// keys). {name} placeholders are filled from non-personal values only.

export const NOTICE_VERSION = 'notice-2026-11';

export const STRINGS = {
  en: {
    app_name: 'Contact Vault',
    lang_toggle: 'Français',
    lang_toggle_label: 'Afficher en français',
    loading: 'Loading…',
    noscript: 'Contact Vault needs JavaScript.',

    signin_title: 'Sign in',
    signin_help: 'Staff only. Sign in with your own account.',
    username: 'Username',
    password: 'Password',
    signin_submit: 'Sign in',
    signin_missing: 'Enter your username and password.',
    signin_invalid: 'Wrong username or password.',
    signin_rate_limited: 'Too many failed sign-in attempts. Try again in {minutes} min.',
    signin_rate_limited_later: 'Too many failed sign-in attempts. Try again later.',
    session_expired: 'Your session has ended. Please sign in again.',
    signed_out: 'You are signed out.',
    signed_in_as: 'Signed in: {name} ({role})',
    sign_out: 'Sign out',

    role_cashier: 'cashier',
    role_support: 'support',
    role_privacy_officer: 'privacy officer',
    role_admin: 'administrator',
    role_marketing: 'marketing',
    role_pos: 'point of sale',
    role_other: 'staff',

    home_title: 'Find a customer',
    home_help:
      'Turn the screen to the customer. They type their email or phone number themselves; ' +
      'you will only see whether it matches, masked.',
    customer_enters: 'Customer enters',
    new_customer: 'New customer',
    home_no_lookup: 'Your role cannot look up customers.',

    handover_title: 'Please type your email or phone number',
    handover_help: 'What you type stays hidden. Press Done when you have finished.',
    handover_label: 'Email or phone number',
    show_typed: 'Show what I typed',
    done: 'Done',
    cancel: 'Cancel',
    handover_empty: 'Type an email or a phone number first.',

    result_found: 'Customer found',
    result_found_many: '{count} customers match',
    result_none: 'No customer found',
    result_none_help: 'Nobody is registered with what the customer typed.',
    create_customer: 'Create a new customer',
    open_card: 'Open customer card',
    new_lookup: 'New lookup',

    field_email: 'Email',
    field_phone: 'Phone',
    field_name: 'Name',
    value_not_given: 'Not given',
    value_match_only: 'Hidden (match only)',
    value_none: 'Not shown to your role',

    card_title: 'Customer card',
    card_id: 'Customer number:',
    created_notice: 'Customer created. Thank you!',
    reveal: 'Reveal',
    reveal_field: 'Reveal {field}',
    reveal_reason: 'Reason (kept in the audit log)',
    reveal_submit: 'Reveal now',
    reveal_reason_missing: 'Give a reason of 1 to 200 characters.',
    reveal_countdown: 'Masked again in {seconds} s',
    hide_now: 'Hide now',
    quota_left: 'Reveals left this hour: {count}',
    quota_exceeded:
      'Reveal limit reached: you have used every reveal allowed this hour. ' +
      'Try again later, or ask a privacy officer.',
    reveal_forbidden: 'Your role may not reveal this field.',

    new_title: 'Your contact details',
    new_help:
      'Fill in what you wish to give us: at least an email or a phone number. ' +
      'What you type stays hidden.',
    optional: '(optional)',
    new_email: 'Email',
    new_phone: 'Phone number',
    new_name: 'Name',
    notice_title: 'Privacy notice',
    notice_version: 'Version {version}',
    notice_body_1:
      'We keep your email, phone number and name encrypted, to find your customer ' +
      'record when you give them to us at the till. Staff see them masked; only a few ' +
      'staff may see a full value, and each time they must record a reason.',
    notice_body_2:
      'We use them for offers, or share them, only if you tick the boxes below. You can ' +
      'change your mind at any time, and ask to see, correct or erase your information ' +
      'at the counter or by writing to our privacy officer.',
    consent_legend: 'Your choices (all optional)',
    consent_marketing_email: 'Send me offers and news by email',
    consent_marketing_sms: 'Send me offers by text message',
    consent_share_with_partners: 'Share my contact details with partner companies',
    save: 'Save',
    contact_required: 'Give at least an email or a phone number.',
    email_invalid: 'Check the email address.',
    phone_invalid: 'Check the phone number.',
    name_invalid: 'Check the name (up to 200 characters).',
    duplicate_email: 'A customer with this email already exists. Ask the cashier to look it up.',

    forbidden: 'Your role does not allow this.',
    not_found: 'This customer no longer exists.',
    lookup_rate_limited: 'Too many lookups in a short time. Wait a minute and try again.',
    network_error: 'The vault cannot be reached. Check the connection and try again.',
    server_error: 'Something went wrong. Try again, or quote reference {id}.',
    idle_cleared: 'For privacy, the screen was cleared after 2 minutes without activity.',
  },

  fr: {
    app_name: 'Contact Vault',
    lang_toggle: 'English',
    lang_toggle_label: 'Show in English',
    loading: 'Chargement…',
    noscript: 'Contact Vault a besoin de JavaScript.',

    signin_title: 'Connexion',
    signin_help: 'Réservé au personnel. Connectez-vous avec votre propre compte.',
    username: "Nom d'utilisateur",
    password: 'Mot de passe',
    signin_submit: 'Se connecter',
    signin_missing: "Entrez votre nom d'utilisateur et votre mot de passe.",
    signin_invalid: "Nom d'utilisateur ou mot de passe incorrect.",
    signin_rate_limited: 'Trop de tentatives de connexion échouées. Réessayez dans {minutes} min.',
    signin_rate_limited_later: 'Trop de tentatives de connexion échouées. Réessayez plus tard.',
    session_expired: 'Votre session a pris fin. Veuillez vous reconnecter.',
    signed_out: 'Vous êtes déconnecté.',
    signed_in_as: 'Connecté : {name} ({role})',
    sign_out: 'Se déconnecter',

    role_cashier: 'caisse',
    role_support: 'soutien',
    role_privacy_officer: 'responsable de la vie privée',
    role_admin: 'administration',
    role_marketing: 'marketing',
    role_pos: 'point de vente',
    role_other: 'personnel',

    home_title: 'Trouver un client',
    home_help:
      "Tournez l'écran vers le client. Il tape lui-même son courriel ou son numéro de " +
      "téléphone; vous verrez seulement s'il correspond, masqué.",
    customer_enters: 'Le client saisit',
    new_customer: 'Nouveau client',
    home_no_lookup: 'Votre rôle ne permet pas de chercher des clients.',

    handover_title: 'Veuillez taper votre courriel ou votre numéro de téléphone',
    handover_help: 'Ce que vous tapez reste masqué. Appuyez sur Terminé une fois fini.',
    handover_label: 'Courriel ou numéro de téléphone',
    show_typed: "Afficher ce que j'ai tapé",
    done: 'Terminé',
    cancel: 'Annuler',
    handover_empty: "Tapez d'abord un courriel ou un numéro de téléphone.",

    result_found: 'Client trouvé',
    result_found_many: '{count} clients correspondent',
    result_none: 'Aucun client trouvé',
    result_none_help: "Personne n'est inscrit avec ce que le client a tapé.",
    create_customer: 'Créer un nouveau client',
    open_card: 'Ouvrir la fiche client',
    new_lookup: 'Nouvelle recherche',

    field_email: 'Courriel',
    field_phone: 'Téléphone',
    field_name: 'Nom',
    value_not_given: 'Non fourni',
    value_match_only: 'Masqué (correspondance seulement)',
    value_none: 'Non visible pour votre rôle',

    card_title: 'Fiche client',
    card_id: 'Numéro de client :',
    created_notice: 'Client créé. Merci!',
    reveal: 'Révéler',
    reveal_field: 'Révéler : {field}',
    reveal_reason: "Motif (consigné au journal d'audit)",
    reveal_submit: 'Révéler maintenant',
    reveal_reason_missing: 'Indiquez un motif de 1 à 200 caractères.',
    reveal_countdown: 'Masqué de nouveau dans {seconds} s',
    hide_now: 'Masquer maintenant',
    quota_left: 'Révélations restantes cette heure-ci : {count}',
    quota_exceeded:
      'Limite atteinte : vous avez utilisé toutes les révélations permises cette heure-ci. ' +
      'Réessayez plus tard ou adressez-vous au responsable de la vie privée.',
    reveal_forbidden: 'Votre rôle ne permet pas de révéler ce champ.',

    new_title: 'Vos coordonnées',
    new_help:
      'Remplissez ce que vous souhaitez nous donner : au moins un courriel ou un numéro ' +
      'de téléphone. Ce que vous tapez reste masqué.',
    optional: '(facultatif)',
    new_email: 'Courriel',
    new_phone: 'Numéro de téléphone',
    new_name: 'Nom',
    notice_title: 'Avis de confidentialité',
    notice_version: 'Version {version}',
    notice_body_1:
      'Nous conservons votre courriel, votre numéro de téléphone et votre nom chiffrés, ' +
      'pour retrouver votre dossier lorsque vous nous les donnez à la caisse. Le personnel ' +
      'les voit masqués; seuls quelques employés peuvent voir une valeur complète, et ' +
      'chaque fois ils doivent en consigner le motif.',
    notice_body_2:
      "Nous les utilisons pour des offres, ou les communiquons, seulement si vous cochez " +
      'les cases ci-dessous. Vous pouvez changer d’avis en tout temps, et demander à ' +
      'consulter, corriger ou effacer vos renseignements au comptoir ou en écrivant à ' +
      'notre responsable de la protection des renseignements personnels.',
    consent_legend: 'Vos choix (tous facultatifs)',
    consent_marketing_email: "M'envoyer des offres et des nouvelles par courriel",
    consent_marketing_sms: "M'envoyer des offres par texto",
    consent_share_with_partners: 'Communiquer mes coordonnées à des entreprises partenaires',
    save: 'Enregistrer',
    contact_required: 'Indiquez au moins un courriel ou un numéro de téléphone.',
    email_invalid: "Vérifiez l'adresse courriel.",
    phone_invalid: 'Vérifiez le numéro de téléphone.',
    name_invalid: "Vérifiez le nom (jusqu'à 200 caractères).",
    duplicate_email: 'Un client avec ce courriel existe déjà. Demandez au caissier de le rechercher.',

    forbidden: 'Votre rôle ne permet pas cette action.',
    not_found: "Ce client n'existe plus.",
    lookup_rate_limited: 'Trop de recherches en peu de temps. Patientez une minute et réessayez.',
    network_error: 'Le coffre est injoignable. Vérifiez la connexion et réessayez.',
    server_error: 'Une erreur est survenue. Réessayez ou citez la référence {id}.',
    idle_cleared: "Par souci de confidentialité, l'écran a été effacé après 2 minutes d'inactivité.",
  },
};

// The language to start in: the first of the browser's preferred languages
// (its Accept-Language) that we have, else English.
export function preferredLanguage(languages) {
  for (const tag of languages || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in STRINGS) return base;
  }
  return 'en';
}

// The text for `key` in `lang`, with {placeholders} filled from `args`.
export function translate(lang, key, args) {
  const table = STRINGS[lang] || STRINGS.en;
  let text = key in table ? table[key] : STRINGS.en[key];
  if (text === undefined) return key;
  if (args) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
  }
  return text;
}
